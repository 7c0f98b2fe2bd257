import { describe, expect, it } from 'vitest';
import { ADYEN_SCENARIOS } from '../../chaos/chaos-adyen-load';
import { formatReport } from '../../chaos/chaos-report';
import { STRIPE_SCENARIOS } from '../../chaos/chaos-stripe-load';
import { PROFILES, runChaos } from '../../chaos/run-chaos';

// The short variant of `npm run chaos`: its own PostgreSQL, Temporal, API and workers, because it kills and restarts them.
const seed = Number(process.env.CHAOS_SEED ?? Math.floor(Math.random() * 2 ** 31));

describe('a short chaos run', () => {
  it('when workers, the API, Temporal and Postgres are killed, the gateways (the sandbox, the Stripe and Adyen fakes) and endpoints misbehave under load and Adyen is down for a stretch, then payments fail over, no money is lost or paid out twice, nothing is stuck and no 5xx is answered', async () => {
    const report = await runChaos({ ...PROFILES.short, seed }, (message) => process.stderr.write(`[chaos] ${message}\n`));
    process.stderr.write(`${formatReport(report)}\n`);

    // Every kind of fault happened at least once, or the run proved less than it says.
    for (const kind of [
      'worker_killed',
      'worker_killed_after_charge',
      'api_killed',
      'api_stopped',
      'temporal_crashed',
      'temporal_restarted',
      'postgres_restarted',
      'postgres_connections_terminated',
      'gateway_timeout_after_charge',
      'gateway_unavailable',
      'gateway_slow',
      'webhook_5xx',
      'webhook_hang',
      'webhook_410',
      'stripe_answer_lost_after_charge',
      'stripe_lose_answer',
      'stripe_truncate_answer',
      'stripe_http_500',
      'stripe_rate_limit',
      'adyen_lose_answer',
      'adyen_lose_answer_and_notification',
      'adyen_http_500',
      'adyen_rate_limit',
      'adyen_notification_duplicated',
      'adyen_notification_held',
      'adyen_notification_delayed',
      'adyen_technical_cancel',
      'adyen_outage',
    ]) {
      expect(report.faults[kind], `fault ${kind} (seed ${seed})`).toBeGreaterThan(0);
    }
    expect(report.scenarios.duplicate_key_burst ?? 0, 'at least one burst of 50 copies of one Idempotency-Key').toBeGreaterThan(0);
    // A share of the load paid through the real Stripe adapter, every kind of Stripe scenario at least once.
    for (const scenario of STRIPE_SCENARIOS) expect(report.scenarios[scenario] ?? 0, scenario).toBeGreaterThan(0);
    expect(report.stripe.payments.succeeded ?? 0).toBeGreaterThan(3);
    expect(report.stripe.atStripe.paymentIntents).toBeGreaterThan(5);
    // The Adyen merchant's share: every kind of scenario, and payments failing over to its sandbox account, during the outage too.
    for (const scenario of ADYEN_SCENARIOS) expect(report.scenarios[scenario] ?? 0, scenario).toBeGreaterThan(0);
    // The sale made before the faults, at least; more depends on how much of the load the outage's cool-down routed past Adyen.
    expect(report.adyen.byGateway['adyen succeeded'] ?? 0, `seed ${seed}`).toBeGreaterThan(0);
    // The outage happened with payments in it. Whether they fail over depends on the other faults of the moment (a worker
    // killed during the 12 s leaves their tries for after it): the long run and test/api/routing-cool-down show the failover.
    expect(report.adyen.outage.paymentsCreated, `seed ${seed}: payments created during the Adyen outage`).toBeGreaterThan(0);
    // The soft-decline scenario (run at least once) always fails over; more than that is the faults' luck (a CI run
    // slowed by a worker killed mid-outage had one).
    expect(
      Object.values(report.adyen.failovers).reduce((sum, n) => sum + n, 0),
      `seed ${seed}`,
    ).toBeGreaterThan(0);
    expect(report.payments.succeeded ?? 0).toBeGreaterThan(20);
    // Payouts drew on the settled balance: some paid, some refused by the bank, some refused for the balance (several at once).
    expect(report.payouts.created, `seed ${seed}: payouts`).toBeGreaterThan(3);
    expect(report.payouts.paid + report.payouts.returned, `seed ${seed}: payouts paid`).toBeGreaterThan(0);
    expect(report.payouts.failed + report.payouts.returned, `seed ${seed}: payouts the bank refused or returned`).toBeGreaterThan(0);
    expect(report.payouts.rejectedForBalance, `seed ${seed}: payouts refused for the balance`).toBeGreaterThan(0);
    expect(report.replay.byType.payoutWorkflow ?? 0, 'payout histories replayed').toBeGreaterThan(3);
    expect(report.replay.replayed).toBeGreaterThan(50);
    expect(
      report.invariants.filter((invariant) => invariant.violations > 0),
      `seed ${seed}`,
    ).toEqual([]);
    expect(report.serverErrors, `seed ${seed}: ${JSON.stringify(report.http.serverErrorSamples)}`).toBe(0);
  }, 900_000);
});
