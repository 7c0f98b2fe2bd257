import { randomBase62 } from '../src/shared/ids';
import {
  ADYEN_TEST_CARDS,
  startAdyenFake,
  type AdyenFake,
  type FakeAdyenFault,
  type FakeAdyenOperation,
  type FakeNotification,
} from '../src/gateways/adyen/adyen-fake';
import type { ChaosClient } from './chaos-client';
import { AdyenRedelivery } from './chaos-adyen-redelivery';
import type { ChaosMerchant } from './chaos-load-actions';

/** The cards the Adyen load pays with, vaulted once per merchant (a vault token is charged as often as the merchant likes). */
export const ADYEN_CARDS = [
  'visa',
  'mastercard',
  'refundFails',
  'chargeback',
  'notEnoughBalance',
  'acquirerError',
  'captureFails',
] as const;
export type AdyenCard = (typeof ADYEN_CARDS)[number];

export interface AdyenMerchant extends ChaosMerchant {
  merchantAccount: string;
  adyenAccount: string;
  sandboxAccount: string;
  tokens: Record<AdyenCard, string>;
}

/** The Adyen faults a run can report: request faults read from the fake's log, notification faults as the run applied them. */
export const ADYEN_FAULT_KINDS = [
  'adyen_lose_answer',
  'adyen_lose_answer_and_notification',
  'adyen_http_500',
  'adyen_rate_limit',
  'adyen_notification_delayed',
  'adyen_notification_duplicated',
  'adyen_notification_held',
] as const;
type AdyenFaultKind = (typeof ADYEN_FAULT_KINDS)[number];
const REQUEST_FAULTS: Record<string, FakeAdyenFault['kind'][]> = {
  adyen_lose_answer: ['lose_answer_after_commit'],
  adyen_lose_answer_and_notification: ['lose_answer_and_notification'],
  adyen_http_500: ['http_500_before', 'http_500_after_commit'],
  adyen_rate_limit: ['rate_limit'],
};
const OPERATIONS: FakeAdyenOperation[] = ['payments', 'payments', 'captures', 'refunds', 'cancels'];
/** The first round's order: notification mishaps between request faults, the technical-cancel path last (it holds a payment longest). */
const FIRST_ROUND: AdyenFaultKind[] = [
  'adyen_http_500',
  'adyen_notification_duplicated',
  'adyen_rate_limit',
  'adyen_notification_held',
  'adyen_lose_answer',
  'adyen_notification_delayed',
  'adyen_lose_answer_and_notification',
];

export interface AdyenFaultPlan {
  loadStarted: number;
  loadMs: number;
  /** Fractions of the load between which the fake refuses every connection. */
  outage: [number, number];
  /** The fraction of the load after which request fault kinds not yet met are injected again. */
  topUpAt: number;
  everyMs: [number, number];
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * The Adyen side of a chaos run: the stateful Adyen fake in the runner's own process, the merchants'
 * accounts (Adyen first, a sandbox account as fallback), its faults and notification mishaps drawn
 * from the run's seed, one outage in which it refuses connections, and Adyen's retrying of
 * notifications our API did not accept (the fake sends each once; the run resends, as Adyen does).
 */
export class ChaosAdyen {
  fake!: AdyenFake;
  readonly merchants: AdyenMerchant[] = [];
  outage: { startedAt?: number; endedAt?: number } = {};
  readonly applied: Record<string, number> = {};
  readonly forced: Record<string, number> = {};
  private redelivery?: AdyenRedelivery;
  private tasks: Promise<void>[] = [];
  /** Releases of held notifications still to come; the end of the load releases them all at once instead. */
  private readonly releases = new Set<NodeJS.Timeout>();
  private loadOver = false;

  async start(): Promise<void> {
    // Modifications are decided a moment after they are received, so notifications and API answers interleave as at Adyen.
    this.fake = await startAdyenFake({ chargebackDelayMs: 1_500, modificationDelayMs: 300, deliveryTimeoutMs: 5_000 });
  }

  get url(): string {
    return this.fake.url;
  }

  /** Connects an Adyen account (priority 1) and a sandbox account (priority 2) as a merchant would, and vaults its cards. */
  async connect(client: ChaosClient, apiUrl: string, merchant: ChaosMerchant): Promise<void> {
    const apiKey = `AQE_${randomBase62(30)}`;
    const merchantAccount = `Chaos${randomBase62(8)}ECOM`;
    const hmacKey = Buffer.from(randomBase62(32)).toString('hex').toUpperCase();
    this.fake.addAccount({ apiKey, merchantAccount, hmacKey });
    const post = async (path: string, body: Record<string, unknown>, key: string) => {
      const answer = await client.call('POST', path, { apiKey: merchant.apiKey, body, idempotencyKey: key });
      if (answer.status !== 201) throw new Error(`POST ${path} answered ${answer.status}: ${JSON.stringify(answer.body)}`);
      return answer.body as { id: string; webhook_url_path?: string };
    };
    const adyen = await post(
      '/v1/gateway_accounts',
      {
        gateway: 'adyen',
        credentials: { api_key: apiKey, merchant_account: merchantAccount, hmac_key: hmacKey },
        priority: 1,
        description: 'chaos Adyen account',
      },
      `chaos-adyen-account-${merchant.id}`,
    );
    this.fake.setNotificationUrl(merchantAccount, `${apiUrl}${adyen.webhook_url_path}`);
    const sandbox = await post(
      '/v1/gateway_accounts',
      { gateway: 'sandbox', priority: 2, description: 'chaos fallback' },
      `chaos-adyen-fallback-${merchant.id}`,
    );
    const tokens = {} as Record<AdyenCard, string>;
    for (const card of ADYEN_CARDS)
      tokens[card] = (
        await post(
          '/v1/tokens',
          { card: { number: ADYEN_TEST_CARDS[card], exp_month: 12, exp_year: 2034, cvc: '123' } },
          `chaos-adyen-card-${merchant.id}-${card}`,
        )
      ).id;
    this.merchants.push({ ...merchant, merchantAccount, adyenAccount: adyen.id, sandboxAccount: sandbox.id, tokens });
  }

  /**
   * From now until `faultsOff`: every kind of fault once in the first seconds, then one drawn every
   * `everyMs`; the outage in its window; and the redelivery of notifications our API refused.
   */
  faultsOn(plan: AdyenFaultPlan, random: () => number, log: (message: string) => void, onOutage?: () => Promise<void>): void {
    this.redelivery ??= new AdyenRedelivery(this.fake);
    const between = ([low, high]: [number, number]) => low + random() * (high - low);
    this.tasks.push(
      (async () => {
        // Request faults are taken in turn (first in, first out) by the next requests of their operation.
        for (const kind of FIRST_ROUND) {
          if (this.loadOver) return;
          this.inject(kind, random, log, 'payments');
          await sleep(500);
        }
        let toppedUp = false;
        while (!this.loadOver) {
          await sleep(between(plan.everyMs));
          if (this.loadOver || this.fake.down) continue;
          if (!toppedUp && Date.now() > plan.loadStarted + plan.loadMs * plan.topUpAt) {
            toppedUp = true;
            this.topUp(random, log);
          }
          this.inject(ADYEN_FAULT_KINDS[Math.floor(random() * ADYEN_FAULT_KINDS.length)], random, log);
        }
      })(),
      (async () => {
        const startAt = plan.loadStarted + plan.loadMs * plan.outage[0];
        const endAt = plan.loadStarted + plan.loadMs * plan.outage[1];
        while (!this.loadOver && Date.now() < startAt) await sleep(100);
        if (this.loadOver) return;
        await this.fake.setOutage(true);
        this.outage.startedAt = Date.now();
        log(`fault: the Adyen fake refuses connections for ${Math.round((endAt - Date.now()) / 1000)} s`);
        if (onOutage) this.tasks.push(onOutage().catch((error) => log(`sales during the Adyen outage: ${(error as Error).message}`)));
        while (!this.loadOver && Date.now() < endAt) await sleep(100);
        await this.fake.setOutage(false);
        this.outage.endedAt = Date.now();
        log('the Adyen fake answers again; its queued notifications go out');
      })(),
    );
  }

  /** The load is over: no more faults, held notifications released (out of order), the fake up. Redelivery goes on. */
  async faultsOff(): Promise<void> {
    this.loadOver = true;
    await Promise.all(this.tasks);
    for (const timer of this.releases) clearTimeout(timer);
    this.releases.clear();
    this.fake.clearFaults();
    this.fake.clearNotificationRules();
    await this.release();
  }

  /** Faults the draws have not met yet (request faults, the technical cancel, duplicated and held notifications), injected again. */
  private topUp(random: () => number, log: (message: string) => void): void {
    const counts = this.faultCounts();
    const missing = Object.keys(REQUEST_FAULTS).filter((kind) => counts[kind] === 0);
    if (counts.adyen_technical_cancel === 0 && !missing.includes('adyen_lose_answer_and_notification'))
      missing.push('adyen_lose_answer_and_notification');
    for (const kind of missing) {
      this.forced[kind] = (this.forced[kind] ?? 0) + 1;
      log(`fault: ${kind} forced at the Adyen fake`);
      this.inject(kind as AdyenFaultKind, random, log, 'payments');
    }
    // A duplicate rule may have been drawn rarely or not at all (CI seed 1976775941 drew none): the next two are sent twice.
    if (counts.adyen_notification_duplicated === 0) {
      this.forced.adyen_notification_duplicated = (this.forced.adyen_notification_duplicated ?? 0) + 1;
      log('fault: adyen_notification_duplicated forced at the Adyen fake');
      this.fake.notificationRule({ kind: 'duplicate', times: 2 });
    }
    // A hold drawn for CAPTURE or REFUND may have met none: the next two notifications of any kind are held, then released.
    if (counts.adyen_notification_held === 0) {
      this.forced.adyen_notification_held = (this.forced.adyen_notification_held ?? 0) + 1;
      log('fault: adyen_notification_held forced at the Adyen fake');
      this.fake.notificationRule({ kind: 'hold', times: 2 });
      const timer = setTimeout(() => {
        this.releases.delete(timer);
        void this.release();
      }, 2_000);
      this.releases.add(timer);
    }
  }

  /** Applies one fault; a request fault goes to `operation`, or one drawn (payments most often). */
  private inject(kind: AdyenFaultKind, random: () => number, log: (message: string) => void, operation?: FakeAdyenOperation): void {
    this.applied[kind] = (this.applied[kind] ?? 0) + 1;
    const pick = <T>(items: T[]) => items[Math.floor(random() * items.length)];
    const target = operation ?? pick(OPERATIONS);
    switch (kind) {
      case 'adyen_lose_answer':
        return this.fake.injectFault({ operation: 'payments', kind: 'lose_answer_after_commit', times: 1 + Math.floor(random() * 2) });
      case 'adyen_lose_answer_and_notification':
        // The workflow does not resend a /payments whose answer was lost: until the late AUTHORISATION, the technical cancel decides.
        log('fault: the next Adyen /payments answer is lost and its AUTHORISATION notification 30 s late');
        return this.fake.injectFault({ operation: 'payments', kind: 'lose_answer_and_notification' });
      case 'adyen_http_500':
        return this.fake.injectFault({ operation: target, kind: pick(['http_500_before', 'http_500_after_commit'] as const) });
      case 'adyen_rate_limit':
        return this.fake.injectFault({ operation: target, kind: 'rate_limit', times: 1 + Math.floor(random() * 2) });
      case 'adyen_notification_delayed':
        return this.fake.notificationRule({ kind: 'delay', ms: 1_000 + Math.floor(random() * 5_000), times: 1 + Math.floor(random() * 3) });
      case 'adyen_notification_duplicated':
        return this.fake.notificationRule({ kind: 'duplicate', times: 1 + Math.floor(random() * 3) });
      case 'adyen_notification_held': {
        // Held a few seconds or past the confirmation timeout (the payment shows held), then sent newest first.
        this.fake.notificationRule({ kind: 'hold', eventCode: pick([undefined, undefined, 'CAPTURE', 'REFUND']), times: 2 });
        const holdMs = random() < 0.7 ? 2_000 + random() * 6_000 : 22_000 + random() * 6_000;
        const timer = setTimeout(() => {
          this.releases.delete(timer);
          void this.release();
        }, holdMs);
        this.releases.add(timer);
        return;
      }
    }
  }

  private async release(): Promise<void> {
    const held = this.fake.notifications().filter((n) => n.state === 'held').length;
    this.applied.adyen_notifications_released = (this.applied.adyen_notifications_released ?? 0) + held;
    await this.fake.releaseHeld('reverse');
  }

  /** Adyen faults by kind: request faults from the fake's log, notification faults as observed (or as applied). */
  faultCounts(): Record<string, number> {
    const log = this.fake.requestLog();
    const notifications = this.fake.notifications();
    const counts: Record<string, number> = {};
    for (const [kind, faults] of Object.entries(REQUEST_FAULTS))
      counts[kind] = log.filter((e) => e.fault && faults.includes(e.fault)).length;
    counts.adyen_technical_cancel = this.fake.modifications({ type: 'technical_cancel' }).length;
    counts.adyen_notification_delayed = this.applied.adyen_notification_delayed ?? 0;
    counts.adyen_notification_duplicated = notifications.filter((n) => n.duplicated && n.deliveries.length >= 2).length;
    counts.adyen_notification_held = this.applied.adyen_notifications_released ?? 0;
    counts.adyen_notification_dropped = notifications.filter((n) => n.state === 'dropped').length;
    counts.adyen_outage = this.outage.startedAt ? 1 : 0;
    return counts;
  }

  /** Notifications not dropped on purpose that our API has not yet answered [accepted]: what the heal still waits for. */
  undelivered(): FakeNotification[] {
    return this.fake.notifications().filter((n) => n.state !== 'dropped' && !n.deliveries.some((d) => d.accepted));
  }

  /** Notifications resent after our API refused them. */
  get redeliveries(): number {
    return this.redelivery?.count ?? 0;
  }

  async stop(): Promise<void> {
    this.loadOver = true;
    for (const timer of this.releases) clearTimeout(timer);
    await Promise.all(this.tasks);
    await this.redelivery?.stop();
    await this.fake?.stop();
  }
}
