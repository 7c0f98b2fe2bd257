import type { Orm } from '../db/orm';
import { inTransaction } from '../db/sql';
import { randomBase62 } from '../shared/ids';
import { minorToMajorNumber } from '../shared/money';
import { apiTimestamp, apiTimestampOrNull } from '../shared/timestamps';
import { subscriptionWorkflowId } from '../subscriptions/subscription-state';
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

export interface SubscriptionCheckSummary {
  invoices_past_due: number;
  subscriptions_checked: number;
  subscriptions_stuck: number;
  workflows_missing: number;
  workflows_closed: number;
  billing_overdue: number;
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

type Row = Record<string, any>;

/** 'and <column> = any($n)' when the check is limited to some merchants. */
function merchantFilter(column: string, merchantIds: string[] | undefined, position: number): string {
  return merchantIds ? `and ${column} = any($${position})` : '';
}

/**
 * The daily check of subscription billing: open invoices whose collection is late or has run past
 * dunning, and live subscriptions whose workflow is missing, closed, or late to bill. Every run is
 * stored with what it found.
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
    const findings = {
      past_due_invoices: invoices.findings, stuck_subscriptions: subscriptions.findings,
      truncated: invoices.count > invoices.findings.length || subscriptions.count > subscriptions.findings.length,
    };
    const [row] = await inTransaction(this.deps.orm, (sql) => sql.query<{ id: string }>(
      `insert into subscription_check_runs (id, run_key, as_of, summary, findings) values (?, ?, ?, ?, ?)
       on conflict (run_key) do update set as_of = excluded.as_of, summary = excluded.summary, findings = excluded.findings
       returning id`,
      [`sck_${randomBase62(22)}`, runKey, asOf, JSON.stringify(summary), JSON.stringify(findings)]));
    return { id: row.id, asOf: asOf.toISOString(), clean: invoices.count === 0 && subscriptions.count === 0, summary };
  }

  /** Open invoices whose next attempt is overdue, that have none scheduled, or that have been open longer than dunning lasts. */
  private async pastDueInvoices(asOf: Date, graceCut: Date, merchantIds?: string[]) {
    const horizonCut = new Date(asOf.getTime() - this.dunningHorizonMs);
    const rows = await inTransaction(this.deps.orm, (sql) => sql.query<Row>(
      `select i.id, i.merchant_id, i.subscription_id, trim(i.currency) as currency, i.amount_due_minor, i.amount_paid_minor, i.attempt_count,
              i.next_payment_attempt, i.created_at, count(*) over () as total,
              i.next_payment_attempt < $1 as attempt_overdue,
              -- The workflow clears the next attempt just before marking the invoice uncollectible: only a lasting gap is a finding.
              (i.next_payment_attempt is null and i.updated_at < $1) as no_attempt,
              i.created_at < $2 as past_horizon
         from invoices i
        where i.status = 'open' and (i.next_payment_attempt < $1 or (i.next_payment_attempt is null and i.updated_at < $1) or i.created_at < $2)
          ${merchantFilter('i.merchant_id', merchantIds, 4)}
        order by i.created_at, i.id limit $3`,
      merchantIds ? [graceCut, horizonCut, this.maxFindings, merchantIds] : [graceCut, horizonCut, this.maxFindings]));
    const findings = rows.map((row) => {
      const reasons: PastDueReason[] = [];
      if (row.attempt_overdue) reasons.push('payment_attempt_overdue');
      if (row.no_attempt) reasons.push('no_payment_attempt_scheduled');
      if (row.past_horizon) reasons.push('open_past_dunning_horizon');
      return {
        invoice: row.id, merchant_id: row.merchant_id, subscription: row.subscription_id, reasons,
        amount_remaining: minorToMajorNumber(Number(row.amount_due_minor) - Number(row.amount_paid_minor), row.currency), currency: row.currency,
        attempt_count: row.attempt_count, next_payment_attempt: apiTimestampOrNull(row.next_payment_attempt), created_at: apiTimestamp(row.created_at),
      };
    });
    return { count: rows.length > 0 ? Number(rows[0].total) : 0, findings };
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
      const page = await inTransaction(this.deps.orm, (sql) => sql.query<Row>(
        `select id, merchant_id, status, next_billing_at from subscriptions
          where status <> 'canceled' and id > $1 ${merchantFilter('merchant_id', merchantIds, 3)} order by id limit $2`,
        merchantIds ? [after, pageSize, merchantIds] : [after, pageSize]));
      if (page.length === 0) break;
      after = page[page.length - 1].id;
      const workflows = await mapConcurrently(page, this.deps.describeConcurrency ?? 50, (row) => this.deps.describe(subscriptionWorkflowId(row.id)));
      // A subscription canceled since the page was read has a closed workflow and is fine: read those rows again.
      const closedIds = page.filter((row, index) => workflows[index].found && (workflows[index] as { status: string }).status !== 'RUNNING').map((row) => row.id);
      const canceledSince = new Set(closedIds.length === 0 ? [] : (await inTransaction(this.deps.orm, (sql) => sql.query<{ id: string }>(
        `select id from subscriptions where id = any(?) and status = 'canceled'`, [closedIds]))).map((row) => row.id));
      page.forEach((row, index) => {
        if (canceledSince.has(row.id)) return;
        const workflow = workflows[index];
        const reasons: StuckReason[] = [];
        if (!workflow.found) reasons.push('workflow_missing');
        else if (workflow.status !== 'RUNNING') reasons.push('workflow_closed');
        if (row.next_billing_at && new Date(row.next_billing_at).getTime() < graceCut.getTime()) reasons.push('billing_overdue');
        if (reasons.length === 0) return;
        count += 1;
        for (const reason of reasons) byReason[reason] += 1;
        if (findings.length < this.maxFindings) {
          findings.push({
            subscription: row.id, merchant_id: row.merchant_id, status: row.status, reasons, workflow_id: subscriptionWorkflowId(row.id),
            workflow_status: workflow.found ? workflow.status : null, next_billing_at: apiTimestampOrNull(row.next_billing_at),
          });
        }
      });
      checked += page.length;
      onProgress?.(checked);
      if (page.length < pageSize) break;
    }
    return { checked, count, byReason, findings };
  }
}

/** The most recent check runs with their findings, newest first. */
/** The stored results of the daily checks, for the admin report. */
export class SubscriptionCheckReports {
  constructor(private readonly orm: Orm) {}

  /** The most recent checks, newest first. */
  listRecent(limit: number): Promise<Record<string, unknown>[]> {
    return listSubscriptionChecks(this.orm, limit);
  }
}

export async function listSubscriptionChecks(orm: Orm, limit: number): Promise<Record<string, unknown>[]> {
  const rows = await inTransaction(orm, (sql) => sql.query<Row>(
    `select id, as_of, summary, findings, created_at from subscription_check_runs order by created_at desc, id desc limit ?`, [limit]));
  return rows.map((row) => ({
    id: row.id, object: 'subscription_check', as_of: apiTimestamp(row.as_of),
    clean: row.summary.invoices_past_due === 0 && row.summary.subscriptions_stuck === 0,
    summary: row.summary, findings: row.findings, created: apiTimestamp(row.created_at),
  }));
}
