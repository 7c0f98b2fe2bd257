import type { Client as PgClient } from 'pg';
import type { ChaosAdyen } from './chaos-adyen';
import type { PayloadKey } from '../src/temporal/payload-keys';
import { describeStuckPayments } from './chaos-adyen-diagnose';
import type { AdyenFigures } from './chaos-adyen-invariants';

/** The Adyen merchants' share of a run, for the report. */
export interface AdyenReport {
  merchants: number;
  payments: Record<string, number>;
  refunds: Record<string, number>;
  disputes: Record<string, number>;
  /** Their payments by the gateway that decided them and status. */
  byGateway: Record<string, number>;
  /** Authorization attempts by account (adyen / sandbox) and outcome: each account's approvals. */
  attempts: Record<string, number>;
  /** Payments that failed over from Adyen, by the Adyen attempt's failure code. */
  failovers: Record<string, number>;
  outage: {
    seconds: number;
    paymentsCreated: number;
    /** Of those created during the outage: failed over after a refused connection, routed past Adyen (cooling down), decided at Adyen. */
    failedOver: number;
    routedAround: number;
    atAdyen: number;
    /** A few of them: id, status, and each attempt (gateway outcome/failure code). */
    examples: string[];
  };
  routingSkips: Record<string, number>;
  /** A few payments that failed at Adyen, with their attempts and what Adyen holds for them, for a reader to follow up. */
  failedAtAdyen: string[];
  /** Their payments still processing or held after the heal, and where their workflows stand. */
  stuck: string[];
  atAdyen: AdyenFigures;
  notifications: { notifications: number; deliveries: number; accepted: number; redeliveries: number; states: Record<string, number> };
  requests: Record<string, number>;
  faults: Record<string, number>;
}

interface StoredAttempt {
  gateway?: string;
  outcome?: string;
  failureCode?: string | null;
  failure_code?: string | null;
  failedOver?: boolean;
  failed_over?: boolean;
}

const add = (counts: Record<string, number>, key: string) => void (counts[key] = (counts[key] ?? 0) + 1);

/** The Adyen merchants' figures, from our tables and the fake's books. */
export async function adyenReport(
  db: PgClient,
  adyen: ChaosAdyen,
  atAdyen: AdyenFigures,
  temporal: { temporalAddress: string; payloadKeys: PayloadKey[] },
): Promise<AdyenReport> {
  const merchantIds = adyen.merchants.map((merchant) => merchant.id);
  const byStatus = async (table: 'refunds' | 'disputes') => {
    const rows = (
      await db.query(
        `select t.status, count(*)::int as n from ${table} t join payments p on p.id = t.payment_id
          where p.merchant_id = any($1::text[]) group by t.status`,
        [merchantIds],
      )
    ).rows;
    return Object.fromEntries(rows.map((row) => [row.status as string, Number(row.n)]));
  };
  const payments = (
    await db.query(
      `select id, status, gateway, failure_code, attempts, routing, created_at from payments where merchant_id = any($1::text[])`,
      [merchantIds],
    )
  ).rows;
  const report: AdyenReport = {
    merchants: adyen.merchants.length,
    payments: {},
    refunds: await byStatus('refunds'),
    disputes: await byStatus('disputes'),
    byGateway: {},
    attempts: {},
    failovers: {},
    outage: { seconds: 0, paymentsCreated: 0, failedOver: 0, routedAround: 0, atAdyen: 0, examples: [] },
    routingSkips: {},
    failedAtAdyen: [],
    stuck: [],
    atAdyen,
    notifications: { notifications: 0, deliveries: 0, accepted: 0, redeliveries: adyen.redeliveries, states: {} },
    requests: {},
    faults: { ...adyen.faultCounts(), ...Object.fromEntries(Object.entries(adyen.forced).map(([kind, n]) => [`${kind}_forced`, n])) },
  };
  const { startedAt, endedAt } = adyen.outage;
  if (startedAt) report.outage.seconds = Math.round(((endedAt ?? Date.now()) - startedAt) / 1000);
  for (const payment of payments) {
    add(report.payments, payment.status);
    add(report.byGateway, `${payment.gateway} ${payment.status}`);
    const attempts: StoredAttempt[] = payment.attempts ?? [];
    for (const attempt of attempts) add(report.attempts, `${attempt.gateway} ${attempt.outcome}`);
    const failover = attempts.find((attempt) => attempt.gateway === 'adyen' && (attempt.failedOver ?? attempt.failed_over));
    if (failover) add(report.failovers, failover.failureCode ?? failover.failure_code ?? 'unknown');
    const skipped: { reason?: string }[] = payment.routing?.skipped ?? [];
    for (const skip of skipped) add(report.routingSkips, skip.reason ?? 'unknown');
    const summary =
      `${payment.id} ${payment.status}${payment.failure_code ? ` (${payment.failure_code})` : ''} at ${payment.gateway}: ` +
      (attempts
        .map((a) => `${a.gateway} ${a.outcome}${(a.failureCode ?? a.failure_code) ? `/${a.failureCode ?? a.failure_code}` : ''}`)
        .join(' → ') || 'no attempts');
    if (payment.gateway === 'adyen' && payment.status === 'failed' && report.failedAtAdyen.length < 6)
      report.failedAtAdyen.push(`${summary}; ${atAdyenStory(adyen, payment.id, new Date(payment.created_at).getTime())}`);
    const created = new Date(payment.created_at).getTime();
    if (!startedAt || created < startedAt || created > (endedAt ?? Infinity)) continue;
    report.outage.paymentsCreated++;
    if (report.outage.examples.length < 6)
      report.outage.examples.push(
        `${payment.id} ${payment.status}${payment.failure_code ? ` (${payment.failure_code})` : ''} at ${payment.gateway}: ` +
          (attempts
            .map((a) => `${a.gateway} ${a.outcome}${(a.failureCode ?? a.failure_code) ? `/${a.failureCode ?? a.failure_code}` : ''}`)
            .join(' → ') || 'no attempts'),
      );
    if (failover && (failover.failureCode ?? failover.failure_code) === 'gateway_unavailable') report.outage.failedOver++;
    else if (payment.gateway !== 'adyen' && !attempts.some((attempt) => attempt.gateway === 'adyen')) report.outage.routedAround++;
    else if (payment.gateway === 'adyen') report.outage.atAdyen++;
  }
  const undecided = payments.filter((payment) => payment.status === 'processing' || payment.status === 'held').map((payment) => payment.id);
  report.stuck = await describeStuckPayments(temporal.temporalAddress, temporal.payloadKeys, undecided);
  const notifications = adyen.fake.notifications();
  report.notifications.notifications = notifications.length;
  for (const notification of notifications) {
    add(report.notifications.states, notification.state);
    report.notifications.deliveries += notification.deliveries.length;
    if (notification.deliveries.some((delivery) => delivery.accepted)) report.notifications.accepted++;
  }
  for (const entry of adyen.fake.requestLog()) add(report.requests, `${entry.operation ?? entry.path} ${entry.status ?? 'lost'}`);
  return report;
}

/** What Adyen holds and sent for one of our payments, times in seconds after the payment's creation (and the outage's start). */
function atAdyenStory(adyen: ChaosAdyen, paymentId: string, createdAt: number): string {
  const at = (iso: string) => `${((Date.parse(iso) - createdAt) / 1000).toFixed(1)}s`;
  const outage = adyen.outage.startedAt
    ? `outage at ${((adyen.outage.startedAt - createdAt) / 1000).toFixed(1)}s-${(((adyen.outage.endedAt ?? 0) - createdAt) / 1000).toFixed(1)}s; `
    : '';
  const payments = adyen.fake.payments({ merchantReference: paymentId });
  const held = payments.map((p) => `${p.pspReference} ${p.status} captured ${p.captured}`).join(', ') || 'no payment';
  const modifications = adyen.fake
    .modifications()
    .filter((m) => m.paymentReference === paymentId || payments.some((p) => p.pspReference === m.paymentPspReference))
    .map((m) => `${m.type} ${m.status}${m.reason ? ` (${m.reason})` : ''}`);
  const notifications = adyen.fake
    .notifications()
    .filter((n) => n.item.merchantReference === paymentId || payments.some((p) => p.pspReference === n.item.originalReference))
    .map((n) => `${n.item.eventCode}:${n.item.success} at ${at(n.item.eventDate)} ${n.state}`);
  return `${outage}Adyen holds ${held}; modifications ${modifications.join(', ') || 'none'}; notifications ${notifications.join(', ') || 'none'}`;
}

const line = (label: string, value: string | number) => `  ${label.padEnd(34)} ${value}`;
const entries = (counts: Record<string, number>) =>
  Object.entries(counts)
    .filter(([, n]) => n > 0)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([key, n]) => `${key} ${n}`)
    .join(', ') || 'none';

/** The Adyen lines of the text report. */
export function adyenReportLines(report: AdyenReport): string[] {
  const { atAdyen, notifications, outage } = report;
  return [
    line('adyen merchants', report.merchants),
    line('  their payments', entries(report.payments)),
    line('  by deciding gateway', entries(report.byGateway)),
    line('  attempts (per-account approvals)', entries(report.attempts)),
    line('  failovers from Adyen', entries(report.failovers)),
    line(
      '  outage',
      `${outage.seconds} s; ${outage.paymentsCreated} payments created in it: ${outage.failedOver} failed over, ${outage.routedAround} routed past Adyen, ${outage.atAdyen} decided at Adyen`,
    ),
    ...outage.examples.map((example) => `         - ${example}`),
    line('  routing skips', entries(report.routingSkips)),
    line('  failed at Adyen (first few)', report.failedAtAdyen.length),
    ...report.failedAtAdyen.map((example) => `         - ${example}`),
    ...report.stuck.map((story) => `         - still undecided: ${story}`),
    line('  their refunds', entries(report.refunds)),
    line('  their disputes', entries(report.disputes)),
    line(
      '  at Adyen',
      `payments ${entries(atAdyen.payments)}; refunds ${entries(atAdyen.refunds)}; ${atAdyen.technicalCancels} technical cancels, ${atAdyen.chargebacks} chargebacks, ${atAdyen.capturesFailedAfterSuccess} captures and ${atAdyen.refundsFailedAfterSuccess} refunds failed after success (flagged to ops)`,
    ),
    line(
      '  Adyen notifications',
      `${notifications.notifications} (${entries(notifications.states)}), ${notifications.deliveries} deliveries, ${notifications.accepted} accepted, ${notifications.redeliveries} resent after a refusal`,
    ),
    line('  Adyen requests', entries(report.requests)),
    line('  Adyen faults', entries(report.faults)),
  ];
}
