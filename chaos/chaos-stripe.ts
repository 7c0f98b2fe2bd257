import type { Client as PgClient } from 'pg';
import { randomBase62 } from '../src/shared/ids';
import { startStripeFake, type FakeRandomFaultRates, type FakeRequestLogEntry, type StripeFake } from '../src/gateways/stripe/stripe-fake';
import type { ChaosClient } from './chaos-client';
import type { ChaosMerchant } from './chaos-load-actions';
import type { StripeFigures } from './chaos-stripe-invariants';

/** The event types our README asks a merchant to subscribe its Stripe webhook endpoint to. */
const SUBSCRIBED_EVENTS = [
  'payment_intent.succeeded',
  'payment_intent.amount_capturable_updated',
  'payment_intent.payment_failed',
  'payment_intent.canceled',
  'charge.dispute.created',
  'charge.dispute.closed',
];
// Stripe retries a failed delivery for three days, backing off to hours; a thousand times faster here, capped so the heal stays short.
const REDELIVERY_FIRST_MS = 1_000;
const REDELIVERY_MAX_MS = 15_000;

export type StripeFaultKind =
  'stripe_answer_lost_after_charge' | 'stripe_lose_answer' | 'stripe_truncate_answer' | 'stripe_http_500' | 'stripe_rate_limit';
const RANDOM_KINDS: [Exclude<StripeFaultKind, 'stripe_answer_lost_after_charge'>, FakeRequestLogEntry['fault'][]][] = [
  ['stripe_lose_answer', ['lose_answer_after_commit']],
  ['stripe_truncate_answer', ['truncate_answer_after_commit']],
  ['stripe_http_500', ['http_500_before', 'http_500_after_commit']],
  ['stripe_rate_limit', ['rate_limit']],
];
const INJECTABLE: Record<(typeof RANDOM_KINDS)[number][0], FakeRequestLogEntry['fault'] & string> = {
  stripe_lose_answer: 'lose_answer_after_commit',
  stripe_truncate_answer: 'truncate_answer_after_commit',
  stripe_http_500: 'http_500_after_commit',
  stripe_rate_limit: 'rate_limit',
};

/** A Stripe merchant's account at the fake, connected to us as a gateway account. */
export interface StripeChaosAccount {
  merchant: ChaosMerchant;
  gatewayAccountId: string;
  secretKey: string;
  fakeAccountId: string;
}

/** The Stripe merchants' share of a run, for the report: our records, Stripe's books, its events, requests and forced faults. */
export interface StripeReport {
  merchants: number;
  payments: Record<string, number>;
  refunds: Record<string, number>;
  disputes: Record<string, number>;
  atStripe: StripeFigures;
  events: { events: number; attempts: number; redeliveries: number; statuses: Record<string, number> };
  requests: Record<string, number>;
  /** Fault kinds the random draws had not produced 60 % into the load, forced then (the lost answer after a charge: injections). */
  forced: Record<string, number>;
}

interface TrackedEvent {
  id: string;
  type: string;
  attempts: number;
  delivered: boolean;
  lastFailedAt: number;
  redeliveries: number;
  inFlight: boolean;
}

/**
 * The Stripe side of a chaos run: the stateful Stripe fake in the runner's own process (so it
 * outlives every outage the run injects), the merchants' accounts connected at it as a merchant
 * connects one, its random faults, and Stripe's automatic redelivery of events our API did not
 * take (the fake sends each event once; the run resends failed ones with backoff, as Stripe does).
 */
export class ChaosStripe {
  fake!: StripeFake;
  readonly merchants: ChaosMerchant[] = [];
  /** Each Stripe merchant's account: our gateway account id, the key (the merchant's Dashboard uses it too) and the fake's account id. */
  readonly accounts: StripeChaosAccount[] = [];
  private readonly events = new Map<string, TrackedEvent>();
  private eventsSeen = 0;
  private deliveriesSeen = 0;
  readonly deliveryStatuses: Record<string, number> = {};
  private redelivering?: Promise<void>;
  private stopped = false;
  private loadOver = false;
  private topUp?: Promise<void>;
  private readonly forced: Record<string, number> = {};

  async start(): Promise<void> {
    // Disputes open a second and a half after capture, so most are opened while the load runs and the faults are on.
    // Payouts run on seconds, not days, so each finishes within the run: pending 2 s, paid (or failed) 5 s after
    // creation, and a payout to the paid-then-failed number fails 5 s after that (our workflow watches 12 s).
    this.fake = await startStripeFake({
      disputeDelayMs: 1_500,
      deliveryTimeoutMs: 5_000,
      payoutInTransitAfterMs: 2_000,
      payoutTransitMs: 5_000,
      payoutReturnAfterMs: 5_000,
    });
  }

  get url(): string {
    return this.fake.url;
  }

  /** Adds the merchant's account at the fake, connects it through POST /v1/gateway_accounts and points its webhooks at our endpoint. */
  async connect(client: ChaosClient, apiUrl: string, merchant: ChaosMerchant): Promise<void> {
    const secretKey = `sk_test_${randomBase62(24)}`;
    const webhookSecret = `whsec_${randomBase62(32)}`;
    const { id: fakeAccountId } = this.fake.addAccount({ secretKey, webhookSecret });
    const created = await client.call('POST', '/v1/gateway_accounts', {
      apiKey: merchant.apiKey,
      body: {
        gateway: 'stripe',
        credentials: { secret_key: secretKey, webhook_secret: webhookSecret },
        description: 'chaos Stripe account',
      },
      idempotencyKey: `chaos-stripe-account-${merchant.id}`,
    });
    if (created.status !== 201) throw new Error(`connecting a Stripe account answered ${created.status}: ${JSON.stringify(created.body)}`);
    this.fake.updateAccount(secretKey, { webhookUrl: `${apiUrl}${created.body.webhook_url_path}`, enabledEvents: SUBSCRIBED_EVENTS });
    this.merchants.push(merchant);
    this.accounts.push({ merchant, gatewayAccountId: created.body.id as string, secretKey, fakeAccountId });
  }

  /**
   * Random faults on from now (drawn with the fake's own randomness: like the workers' sandbox faults, they
   * do not follow CHAOS_SEED); at `topUpAt`, like the sandbox's gateway faults, the kinds not yet drawn are forced.
   */
  faultsOn(rates: FakeRandomFaultRates, topUpAt: number, log: (message: string) => void): void {
    this.fake.setRandomFaults(rates);
    this.redelivering ??= this.redeliveryLoop();
    this.topUp = (async () => {
      while (!this.loadOver && Date.now() < topUpAt) await new Promise((resolve) => setTimeout(resolve, 250));
      if (!this.loadOver) await this.forceMissingFaults(log);
    })();
  }

  /** The load is over: no more faults (redelivery goes on until every event is taken). */
  async faultsOff(): Promise<void> {
    this.loadOver = true;
    await this.topUp;
    this.fake.clearFaults();
  }

  /**
   * Forces each Stripe fault kind the random draws have not produced yet. The lost answer after a charge
   * needs two losses in a row on one payment (the SDK itself resends once after a reset connection), so it
   * is injected until a payment's authorization met both, a few times at most.
   */
  private async forceMissingFaults(log: (message: string) => void): Promise<void> {
    const forced = this.forced;
    const stopped = () => this.loadOver;
    for (const [kind] of RANDOM_KINDS) {
      if ((this.faultCounts()[kind] ?? 0) > 0) continue;
      this.fake.injectFault({ operation: 'any', kind: INJECTABLE[kind] });
      forced[kind] = 1;
      log(`fault: ${kind} forced at the Stripe fake`);
    }
    for (let round = 0; round < 5 && !stopped() && this.faultCounts().stripe_answer_lost_after_charge === 0; round++) {
      const before = this.lossesOnCreate();
      this.fake.injectFault({ operation: 'create_payment_intent', kind: 'lose_answer_after_commit', times: 2 });
      forced.stripe_answer_lost_after_charge = (forced.stripe_answer_lost_after_charge ?? 0) + 1;
      log('fault: stripe_answer_lost_after_charge forced (the next two PaymentIntent creations lose their answer)');
      const until = Date.now() + 30_000;
      while (!stopped() && Date.now() < until && this.lossesOnCreate() < before + 2)
        await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }

  /** Stripe faults by kind, from the fake's request log. */
  faultCounts(): Record<StripeFaultKind, number> {
    const log = this.fake.requestLog();
    const counts = Object.fromEntries(
      RANDOM_KINDS.map(([kind, faults]) => [kind, log.filter((entry) => faults.includes(entry.fault)).length]),
    ) as Record<StripeFaultKind, number>;
    counts.stripe_answer_lost_after_charge = answersLostAfterCharge(log);
    return counts;
  }

  /** Requests the fake received, by operation and status (`lost` when the answer never left). */
  requestCounts(): Record<string, number> {
    const counts: Record<string, number> = {};
    for (const entry of this.fake.requestLog()) {
      const key = `${entry.operation ?? entry.path} ${entry.outcome === 'answered' ? entry.status : entry.outcome}`;
      counts[key] = (counts[key] ?? 0) + 1;
    }
    return counts;
  }

  /** Subscribed events our API has not yet answered with a 2xx: what the heal still waits for. */
  undeliveredEvents(): TrackedEvent[] {
    this.track();
    return [...this.events.values()].filter((event) => !event.delivered);
  }

  /** The Stripe merchants' figures for the report. */
  async report(db: PgClient, atStripe: StripeFigures): Promise<StripeReport> {
    const byStatus = async (table: 'payments' | 'refunds' | 'disputes') => {
      const join = table === 'payments' ? `payments t` : `${table} t join payments p on p.id = t.payment_id`;
      const gateway = table === 'payments' ? 't.gateway' : 'p.gateway';
      const rows = (await db.query(`select t.status, count(*)::int as n from ${join} where ${gateway} = 'stripe' group by t.status`)).rows;
      return Object.fromEntries(rows.map((row) => [row.status as string, Number(row.n)]));
    };
    return {
      merchants: this.merchants.length,
      payments: await byStatus('payments'),
      refunds: await byStatus('refunds'),
      disputes: await byStatus('disputes'),
      atStripe,
      events: this.deliveryFigures(),
      requests: this.requestCounts(),
      forced: this.forced,
    };
  }

  /** Events and their deliveries. */
  deliveryFigures(): { events: number; attempts: number; redeliveries: number; statuses: Record<string, number> } {
    this.track();
    const events = [...this.events.values()];
    return {
      events: events.length,
      attempts: events.reduce((sum, event) => sum + event.attempts, 0),
      redeliveries: events.reduce((sum, event) => sum + event.redeliveries, 0),
      statuses: this.deliveryStatuses,
    };
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.redelivering;
    await this.fake?.stop();
  }

  private lossesOnCreate(): number {
    return this.fake
      .requestLog()
      .filter((entry) => entry.operation === 'create_payment_intent' && entry.fault === 'lose_answer_after_commit').length;
  }

  /** Reads the events and deliveries the fake made since the last look. */
  private track(): void {
    const events = this.fake.events();
    for (; this.eventsSeen < events.length; this.eventsSeen++) {
      const event = events[this.eventsSeen];
      if (event.pending_webhooks > 0)
        this.events.set(event.id, {
          id: event.id,
          type: event.type,
          attempts: 0,
          delivered: false,
          lastFailedAt: 0,
          redeliveries: 0,
          inFlight: false,
        });
    }
    const deliveries = this.fake.deliveries();
    for (; this.deliveriesSeen < deliveries.length; this.deliveriesSeen++) {
      const delivery = deliveries[this.deliveriesSeen];
      const status = delivery.status === null ? 'no answer' : String(delivery.status);
      this.deliveryStatuses[status] = (this.deliveryStatuses[status] ?? 0) + 1;
      const event = this.events.get(delivery.eventId);
      if (!event) continue;
      event.attempts++;
      if (delivery.status !== null && delivery.status >= 200 && delivery.status < 300) event.delivered = true;
      else event.lastFailedAt = Math.max(event.lastFailedAt, delivery.at);
    }
  }

  /** Resends every event whose deliveries all failed, backing off per event, until the run stops. */
  private async redeliveryLoop(): Promise<void> {
    const inFlight = new Set<Promise<unknown>>();
    while (!this.stopped) {
      await new Promise((resolve) => setTimeout(resolve, 250));
      this.track();
      const now = Date.now();
      for (const event of this.events.values()) {
        if (event.delivered || event.inFlight || event.attempts === 0) continue;
        if (now < event.lastFailedAt + Math.min(REDELIVERY_FIRST_MS * 2 ** event.redeliveries, REDELIVERY_MAX_MS)) continue;
        event.inFlight = true;
        event.redeliveries++;
        const sent = this.fake
          .redeliver(event.id)
          .catch(() => undefined)
          .finally(() => {
            event.inFlight = false;
            inFlight.delete(sent);
          });
        inFlight.add(sent);
      }
    }
    await Promise.all(inFlight);
  }
}

/**
 * Authorizations whose answer the adapter never got although Stripe had charged (200): a truncated
 * answer, or a lost one whose SDK resend was lost too. The adapter then saw an unknown outcome and
 * the workflow resolved it by status sync.
 */
export function answersLostAfterCharge(log: FakeRequestLogEntry[]): number {
  const byKey = new Map<string, FakeRequestLogEntry[]>();
  for (const entry of log) {
    if (entry.operation !== 'create_payment_intent' || !entry.idempotencyKey) continue;
    const entries = byKey.get(entry.idempotencyKey) ?? [];
    entries.push(entry);
    byKey.set(entry.idempotencyKey, entries);
  }
  let count = 0;
  for (const entries of byKey.values()) {
    const lost = entries.some(
      (entry, i) =>
        entry.status === 200 &&
        (entry.outcome === 'truncated' ||
          (entry.outcome === 'lost' && (entries[i + 1]?.outcome === 'lost' || entries[i + 1]?.outcome === 'truncated'))),
    );
    if (lost) count++;
  }
  return count;
}
