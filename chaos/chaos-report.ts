import { adyenReportLines } from './chaos-adyen-report';
import type { ChaosReport } from './run-chaos';

const line = (label: string, value: string | number) => `  ${label.padEnd(34)} ${value}`;
const entries = (counts: Record<string, number>) =>
  Object.entries(counts)
    .filter(([, n]) => n > 0)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([key, n]) => `${key} ${n}`)
    .join(', ') || 'none';

/** The run's figures as text: what was done, what was broken on purpose, and what held. */
export function formatReport(report: ChaosReport): string {
  const operations = Object.values(report.operations).reduce((sum, n) => sum + n, 0);
  const faults = Object.values(report.faults).reduce((sum, n) => sum + n, 0);
  const out = [
    `Chaos run "${report.profile}" (seed ${report.seed}): ${report.loadSeconds} s of load, ${report.healSeconds} s to heal, ${report.totalSeconds} s in all`,
    '',
    'Load',
    line('scenarios', entries(report.scenarios)),
    line(`API operations (${operations})`, entries(report.operations)),
    line(
      'HTTP requests sent',
      `${report.http.requests} (${report.http.retries} client retries, ${report.http.noAnswer} without an answer, ${report.http.gaveUp} given up)`,
    ),
    line('HTTP statuses', entries(report.http.byStatus)),
    ...Object.values(report.http.clientErrorSamples)
      .flat()
      .map((sample) => `         - ${sample.status} ${sample.method} ${sample.path}: ${sample.body}`),
    line('payments', entries(report.payments)),
    line('refunds', entries(report.refunds)),
    line('disputes', entries(report.disputes)),
    line(
      'payouts',
      `${report.payouts.created} created: ${report.payouts.paid} paid, ${report.payouts.failed} failed, ${report.payouts.canceled} canceled, ${report.payouts.returned} returned, ${report.payouts.inFlight} in flight; ${report.payouts.rejectedForBalance} refused (balance_insufficient); ${report.payouts.transfers} bank transfers; ${report.payouts.negativeAvailableAfterOtherEntries} available balances below zero from refunds or disputes`,
    ),
    ...(report.payouts.stripe
      ? [
          line(
            '  of which through Stripe',
            `${report.payouts.stripe.created} created: ${report.payouts.stripe.paid} paid, failed ${entries(report.payouts.stripe.failed)}, ${report.payouts.stripe.returned} returned, ${report.payouts.stripe.canceled} canceled, ${report.payouts.stripe.inFlight} in flight; at Stripe ${entries(report.payouts.stripe.atStripe)}; ${report.payouts.stripe.madeOutsideLedgerflow} made from the Dashboard`,
          ),
        ]
      : []),
    ...(report.payouts.stripeReconciliation
      ? [
          line(
            '  reconciled with Stripe',
            `${report.payouts.stripeReconciliation.runs} account runs over ${report.payouts.stripeReconciliation.days.join(', ')}: ${report.payouts.stripeReconciliation.matched} matched, ${report.payouts.stripeReconciliation.dashboardRows} Dashboard payouts missing in the ledger, ${report.payouts.stripeReconciliation.stillWatchedRows} returns not yet seen by an open workflow`,
          ),
        ]
      : []),
    line('gateway operations', `${entries(report.gateway.operations)}; ${report.gateway.retriedOperations} answered again to a retry`),
    line('stripe merchants', report.stripe.merchants),
    line('  their payments', entries(report.stripe.payments)),
    line('  their refunds', entries(report.stripe.refunds)),
    line('  their disputes', entries(report.stripe.disputes)),
    line(
      '  at Stripe',
      `${report.stripe.atStripe.paymentIntents} PaymentIntents, ${report.stripe.atStripe.capturedCharges} captured charges, ${report.stripe.atStripe.refunds} refunds, disputes: ${entries(report.stripe.atStripe.disputes)}`,
    ),
    line(
      '  Stripe events',
      `${report.stripe.events.events} subscribed, ${report.stripe.events.attempts} deliveries (${entries(report.stripe.events.statuses)}), ${report.stripe.events.redeliveries} redeliveries`,
    ),
    line('  Stripe requests', entries(report.stripe.requests)),
    line('  Stripe faults forced', entries(report.stripe.forced)),
    ...adyenReportLines(report.adyen),
    line(
      'webhook events',
      `${report.webhookDeliveries.events}, ${report.webhookDeliveries.attemptsReceived} attempts received, ${report.webhookDeliveries.redeliveriesAfterSuccess} redelivered after success (deduplicated by webhook-id)`,
    ),
    '',
    `Faults injected (${faults})`,
    ...Object.entries(report.faults)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([kind, n]) => line(kind, n)),
    '',
    'Invariants',
    ...report.invariants.flatMap((invariant) => [
      `  ${invariant.violations === 0 ? 'ok  ' : 'FAIL'} ${invariant.name}: ${invariant.checked} checked, ${invariant.violations} violations`,
      ...invariant.examples.map((example) => `         - ${example}`),
    ]),
    line('workflow histories replayed', `${report.replay.replayed} (${entries(report.replay.byType)})`),
    '',
    line('invariant violations', report.violations),
    line('5xx answers', report.serverErrors),
    ...report.http.serverErrorSamples
      .slice(0, 5)
      .map((sample) => `         - ${sample.status} ${sample.method} ${sample.path}: ${sample.body}`),
  ];
  return out.join('\n');
}
