import type { Orm } from '../db/orm';
import { inTransaction } from '../db/sql';
import { randomBase62 } from '../shared/ids';
import { minorToMajorNumber } from '../shared/money';
import { apiTimestamp, apiTimestampOrNull } from '../shared/timestamps';
import { subscriptionWorkflowId } from '../subscriptions/subscription-state';
import type { SubscriptionCheckFindings, SubscriptionCheckRunRecord, SubscriptionCheckSummary } from './subscription-check-record';
import { SubscriptionCheckRepository } from './subscription-check-repository';
import { mapConcurrently, type DescribeWorkflow } from './workflow-describer';

const HOUR_MS = 3600_000;
const DAY_MS = 24 * HOUR_MS;

export interface SubscriptionCheckSettings {
  /** How late a payment attempt or a billing date may be before it is reported (1 hour). */
  graceMs?: number;
  /** How long an invoice may stay open: the last dunning retry plus a day (8 days for retries on days 3, 5 and 7). */
  dunningHorizonMs?: number;
  /** Workflows described at once (50). */
  describeConcurrency?: number;
  /** Subscriptions read per page (500). */
  pageSize?: number;
  /** Findings kept per kind (1,000); the counts are always complete. */
  maxFindings?: number;
}

export interface SubscriptionCheckServiceDeps extends SubscriptionCheckSettings {
  orm: Orm;
  describe: DescribeWorkflow;
}

export interface SubscriptionCheckResult {
  id: string;
  asOf: string;
  /** Nothing found. */
  clean: boolean;
  summary: SubscriptionCheckSummary;
}

export interface SubscriptionCheckInput {
  asOf: Date;
  /** One per scheduled run: a retried activity records one run. */
  runKey: string;
  /** Only these merchants' invoices and subscriptions; everyone's when absent. */
  merchantIds?: string[];
  /** Called after each page of subscriptions (the activity heartbeats). */
  onProgress?: (checked: number) => void;
}

export type PastDueReason = 'payment_attempt_overdue' | 'no_payment_attempt_scheduled' | 'open_past_dunning_horizon';
export type StuckReason = 'workflow_missing' | 'workflow_closed' | 'billing_overdue';

/**
 * The daily check of subscription billing: open invoices whose collection is late or has run past
 * dunning, and live subscriptions whose workflow is missing, closed, or late to bill. Every run is
 * stored with what it found; the admin report lists the recent runs.
 */
export class SubscriptionCheckService {
  private readonly graceMs: number;
  private readonly dunningHorizonMs: number;
  private readonly maxFindings: number;

  constructor(private readonly deps: SubscriptionCheckServiceDeps) {
    this.graceMs = deps.graceMs ?? HOUR_MS;
    this.dunningHorizonMs = deps.dunningHorizonMs ?? 8 * DAY_MS;
    this.maxFindings = deps.maxFindings ?? 1_000;
  }

  /** Runs the check as of `asOf` and records it under `runKey`. */
  async run({ asOf, runKey, merchantIds, onProgress }: SubscriptionCheckInput): Promise<SubscriptionCheckResult> {
    const graceCut = new Date(asOf.getTime() - this.graceMs);
    const invoices = await this.pastDueInvoices(asOf, graceCut, merchantIds);
    const subscriptions = await this.stuckSubscriptions(graceCut, merchantIds, onProgress);
    const summary: SubscriptionCheckSummary = {
      invoices_past_due: invoices.count,
      subscriptions_checked: subscriptions.checked,
      subscriptions_stuck: subscriptions.count,
      workflows_missing: subscriptions.byReason.workflow_missing,
      workflows_closed: subscriptions.byReason.workflow_closed,
      billing_overdue: subscriptions.byReason.billing_overdue,
    };
    const findings: SubscriptionCheckFindings = {
      past_due_invoices: invoices.findings,
      stuck_subscriptions: subscriptions.findings,
      truncated: invoices.count > invoices.findings.length || subscriptions.count > subscriptions.findings.length,
    };
    const id = await this.withRepository((checks) => checks.saveRun({ id: `sck_${randomBase62(22)}`, runKey, asOf, summary, findings }));
    return { id, asOf: asOf.toISOString(), clean: invoices.count === 0 && subscriptions.count === 0, summary };
  }

  /** The most recent checks with their findings, newest first (the admin report). */
  async listRecent(limit: number): Promise<Record<string, unknown>[]> {
    return (await this.withRepository((checks) => checks.listRecent(limit))).map(renderCheckRun);
  }

  /** Open invoices whose next attempt is overdue, that have none scheduled, or that have been open longer than dunning lasts. */
  private async pastDueInvoices(asOf: Date, graceCut: Date, merchantIds?: string[]) {
    const horizonCut = new Date(asOf.getTime() - this.dunningHorizonMs);
    const { total, invoices } = await this.withRepository((checks) =>
      checks.pastDueInvoices(graceCut, horizonCut, this.maxFindings, merchantIds),
    );
    const findings = invoices.map((invoice) => {
      const reasons: PastDueReason[] = [];
      if (invoice.attemptOverdue) reasons.push('payment_attempt_overdue');
      if (invoice.noAttempt) reasons.push('no_payment_attempt_scheduled');
      if (invoice.pastHorizon) reasons.push('open_past_dunning_horizon');
      return {
        invoice: invoice.id,
        merchant_id: invoice.merchantId,
        subscription: invoice.subscriptionId,
        reasons,
        amount_remaining: minorToMajorNumber(invoice.amountDueMinor - invoice.amountPaidMinor, invoice.currency),
        currency: invoice.currency,
        attempt_count: invoice.attemptCount,
        next_payment_attempt: apiTimestampOrNull(invoice.nextPaymentAttempt),
        created_at: apiTimestamp(invoice.createdAt),
      };
    });
    return { count: total, findings };
  }

  /** Every subscription not canceled, page by page, its workflow described a batch at a time. */
  private async stuckSubscriptions(graceCut: Date, merchantIds: string[] | undefined, onProgress?: (checked: number) => void) {
    const pageSize = this.deps.pageSize ?? 500;
    const byReason: Record<StuckReason, number> = { workflow_missing: 0, workflow_closed: 0, billing_overdue: 0 };
    const findings: Record<string, unknown>[] = [];
    let checked = 0;
    let count = 0;
    let after = '';
    for (;;) {
      const page = await this.withRepository((checks) => checks.liveSubscriptionsPage(after, pageSize, merchantIds));
      if (page.length === 0) break;
      after = page[page.length - 1].id;
      const workflows = await mapConcurrently(page, this.deps.describeConcurrency ?? 50, (row) =>
        this.deps.describe(subscriptionWorkflowId(row.id)),
      );
      // A subscription canceled since the page was read has a closed workflow and is fine: read those rows again.
      const closedIds = page
        .filter((row, index) => workflows[index].found && (workflows[index] as { status: string }).status !== 'RUNNING')
        .map((row) => row.id);
      const canceledSince =
        closedIds.length === 0 ? new Set<string>() : await this.withRepository((checks) => checks.canceledAmong(closedIds));
      page.forEach((row, index) => {
        if (canceledSince.has(row.id)) return;
        const workflow = workflows[index];
        const reasons: StuckReason[] = [];
        if (!workflow.found) reasons.push('workflow_missing');
        else if (workflow.status !== 'RUNNING') reasons.push('workflow_closed');
        if (row.nextBillingAt && new Date(row.nextBillingAt).getTime() < graceCut.getTime()) reasons.push('billing_overdue');
        if (reasons.length === 0) return;
        count += 1;
        for (const reason of reasons) byReason[reason] += 1;
        if (findings.length < this.maxFindings) {
          findings.push({
            subscription: row.id,
            merchant_id: row.merchantId,
            status: row.status,
            reasons,
            workflow_id: subscriptionWorkflowId(row.id),
            workflow_status: workflow.found ? workflow.status : null,
            next_billing_at: apiTimestampOrNull(row.nextBillingAt),
          });
        }
      });
      checked += page.length;
      onProgress?.(checked);
      if (page.length < pageSize) break;
    }
    return { checked, count, byReason, findings };
  }

  /** Each read and the run's write in a transaction of its own. */
  private withRepository<T>(work: (checks: SubscriptionCheckRepository) => Promise<T>): Promise<T> {
    return inTransaction(this.deps.orm, (sql) => work(new SubscriptionCheckRepository(sql)));
  }
}

/** A stored run as the admin report shows it. */
function renderCheckRun(run: SubscriptionCheckRunRecord): Record<string, unknown> {
  return {
    id: run.id,
    object: 'subscription_check',
    as_of: apiTimestamp(run.asOf),
    clean: run.summary.invoices_past_due === 0 && run.summary.subscriptions_stuck === 0,
    summary: run.summary,
    findings: run.findings,
    created: apiTimestamp(run.createdAt),
  };
}
