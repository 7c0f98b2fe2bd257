import { randomUUID } from 'node:crypto';
import type { ChaosClient } from './chaos-client';
import { LoadActions, type ChaosMerchant } from './chaos-load-actions';
import type { StripeLoad } from './chaos-stripe-load';
import type { AdyenLoad } from './chaos-adyen-load';
import type { PayoutLoad } from './chaos-payout-load';

export type { ChaosMerchant, LoadOutcome, TrackedPayment } from './chaos-load-actions';

const FINAL = new Set(['succeeded', 'failed', 'canceled', 'refunded']);
// Weighted: most cards are good; the rest exercise every path the sandbox has.
const SALE_SOURCES: [string, number][] = [
  ['tok_visa', 40],
  ['tok_mastercard', 15],
  ['tok_amex', 5],
  ['tok_chargeDeclined', 8],
  ['tok_insufficient_funds', 4],
  ['tok_gateway_timeout', 8],
  ['tok_risk_highest', 3],
  ['tok_refund_fails', 5],
  ['tok_createDispute', 6],
];
const SANDBOX_SCENARIOS = [
  'sale',
  'sale_then_refund',
  'authorize_then_capture_or_cancel',
  'concurrent_refunds',
  'held_for_review',
  'disputed_sale',
  'duplicate_key_burst',
] as const;
type SandboxScenario = (typeof SANDBOX_SCENARIOS)[number];
/** Each scenario's share of the sandbox load, as cumulative bounds in SANDBOX_SCENARIOS' order. */
const WEIGHTS = [0.42, 0.62, 0.8, 0.88, 0.91, 0.95, 1];

/**
 * A mixed merchant load: sales, authorizations captured or canceled later, payments held for review,
 * refunds (some several at once on one payment), disputes, and bursts of one Idempotency-Key sent
 * fifty times at once. Each virtual merchant system loops until `until`. With a Stripe or an Adyen load,
 * a share of the scenarios are those merchants' (through the real adapters, against the fakes); with
 * payouts, one more loop pays the sandbox merchants out every few seconds (and one more the Stripe merchants).
 */
export class ChaosLoad extends LoadActions {
  private stripe?: { load: StripeLoad; share: number };
  private adyen?: { load: AdyenLoad; share: number };
  private payouts?: { load: PayoutLoad; everyMs: [number, number] };

  constructor(
    client: ChaosClient,
    private readonly merchants: ChaosMerchant[],
    adminKey: string,
    random: () => number,
  ) {
    super(client, adminKey, random);
  }

  /** Sends `share` of the scenarios to the Stripe merchants' load. */
  withStripe(load: StripeLoad, share: number): this {
    this.stripe = { load, share };
    return this;
  }

  /** Sends `share` of the scenarios to the Adyen merchants' load. */
  withAdyen(load: AdyenLoad, share: number): this {
    this.adyen = { load, share };
    return this;
  }

  /**
   * Adds the merchants' finance system: a loop of its own that pays out every `everyMs` (drawn between
   * the bounds), so the number of payouts does not depend on how slow the payments are under faults.
   */
  withPayouts(load: PayoutLoad, everyMs: [number, number]): this {
    this.payouts = { load, everyMs };
    return this;
  }

  /**
   * Runs the load until `until`. A host slower than usual (a busy CI machine) may not have run every scenario kind
   * by then: the merchant systems then go on with only the kinds still missing, until `overtimeUntil` at the latest,
   * so a short run still covers them all instead of failing its coverage checks (the faults go on meanwhile).
   */
  async run(concurrency: number, until: number, overtimeUntil = until): Promise<void> {
    const going = () => Date.now() < until || (Date.now() < overtimeUntil && this.firstRoundLeft() > 0);
    await Promise.all([
      ...Array.from({ length: concurrency }, async () => {
        while (going()) await this.oneScenario(Date.now() >= until).catch((error) => this.loadError(error));
      }),
      this.payoutLoop(until, overtimeUntil),
      this.payoutLoop(until, overtimeUntil, 'stripe'),
    ]);
  }

  /** Scenario kinds of every load's first round not run yet. */
  private firstRoundLeft(): number {
    return (
      this.firstRound.length +
      (this.stripe?.share ? this.stripe.load.firstRoundLeft : 0) +
      (this.adyen?.share ? this.adyen.load.firstRoundLeft : 0) +
      (this.payouts?.load.stripeFirstRoundLeft ?? 0)
    );
  }

  /** The sandbox merchants' finance system, or the Stripe merchants' (payouts through their gateway accounts). */
  private async payoutLoop(until: number, overtimeUntil: number, merchants: 'sandbox' | 'stripe' = 'sandbox'): Promise<void> {
    if (!this.payouts || (merchants === 'stripe' && !this.payouts.load.hasStripe)) return;
    const { load, everyMs } = this.payouts;
    for (;;) {
      await new Promise((resolve) => setTimeout(resolve, everyMs[0] + this.random() * (everyMs[1] - everyMs[0])));
      const stripeMissing = merchants === 'stripe' && load.stripeFirstRoundLeft > 0 && Date.now() < overtimeUntil;
      if (Date.now() >= until && !stripeMissing) return;
      await (merchants === 'stripe' ? load.oneStripeScenario() : load.oneScenario()).catch((error) => this.loadError(error));
    }
  }

  private loadError(error: unknown): void {
    this.outcome.violations.push(`load error: ${(error as Error).message}`);
  }

  /** Scenario kinds not run yet: each kind runs once before the weighted draws, so a short run covers them all. */
  private readonly firstRound: SandboxScenario[] = [...SANDBOX_SCENARIOS];

  /** One scenario; in overtime (`onlyMissing`), one of a load whose first round is not done. */
  private async oneScenario(onlyMissing = false): Promise<void> {
    if (onlyMissing) {
      if (this.stripe?.share && this.stripe.load.firstRoundLeft > 0) return this.stripe.load.oneScenario();
      if (this.adyen?.share && this.adyen.load.firstRoundLeft > 0) return this.adyen.load.oneScenario();
      // Only the Stripe payouts' loop has kinds left: the merchant systems wait for it.
      if (this.firstRound.length === 0) return new Promise((resolve) => setTimeout(resolve, 500));
    } else {
      // One draw decides whose scenario this is: Stripe's share, then Adyen's, then the sandbox merchants'.
      const share = this.random();
      if (this.stripe && share < this.stripe.share) return this.stripe.load.oneScenario();
      if (this.adyen && share < (this.stripe?.share ?? 0) + this.adyen.share) return this.adyen.load.oneScenario();
    }
    const roll = this.random();
    const name = this.firstRound.shift() ?? SANDBOX_SCENARIOS[WEIGHTS.findIndex((upTo) => roll < upTo)] ?? 'duplicate_key_burst';
    return this.scenario(name, () => this.runScenario(name));
  }

  private runScenario(name: SandboxScenario): Promise<void> {
    switch (name) {
      case 'sale':
        return this.sale();
      case 'sale_then_refund':
        return this.saleThenRefund();
      case 'authorize_then_capture_or_cancel':
        return this.authorizeThenDecide();
      case 'concurrent_refunds':
        return this.concurrentRefunds();
      case 'held_for_review':
        return this.heldForReview();
      case 'disputed_sale':
        return this.disputedSale();
      case 'duplicate_key_burst':
        return this.duplicateKeyBurst(this.pick(this.merchants), name, {
          amount: this.amount(),
          currency: 'USD',
          source: 'tok_visa',
          description: 'duplicate burst',
        });
    }
  }

  private async sale(): Promise<void> {
    const merchant = this.pick(this.merchants);
    await this.createPayment(merchant, 'sale', {
      amount: this.amount(),
      currency: this.pick(['USD', 'USD', 'EUR']),
      source: this.weighted(SALE_SOURCES),
      description: 'chaos sale',
    });
  }

  private async saleThenRefund(): Promise<void> {
    const merchant = this.pick(this.merchants);
    const payment = await this.createPayment(merchant, 'sale_then_refund', {
      amount: this.amount(),
      currency: 'USD',
      source: this.pick(['tok_visa', 'tok_mastercard', 'tok_refund_fails']),
    });
    if (!payment) return;
    const settled = await this.settle(merchant, payment.id);
    if (settled?.status !== 'succeeded') return;
    const partial = this.random() < 0.5;
    await this.refund(merchant, payment.id, partial ? Math.max(0.01, Math.round(settled.amount_received * 50) / 100) : undefined);
  }

  private async authorizeThenDecide(): Promise<void> {
    const merchant = this.pick(this.merchants);
    const payment = await this.createPayment(merchant, 'authorize_then_capture_or_cancel', {
      amount: this.amount(),
      currency: 'USD',
      source: this.pick(['tok_visa', 'tok_mastercard']),
      capture: false,
    });
    if (!payment) return;
    const settled = await this.settle(merchant, payment.id);
    if (settled?.status !== 'requires_capture') return;
    await this.captureOrCancel(merchant, payment);
  }

  private async concurrentRefunds(): Promise<void> {
    const merchant = this.pick(this.merchants);
    const payment = await this.createPayment(merchant, 'concurrent_refunds', {
      amount: this.amount(),
      currency: 'USD',
      source: 'tok_visa',
    });
    if (!payment) return;
    const settled = await this.settle(merchant, payment.id);
    if (settled?.status !== 'succeeded') return;
    await this.fourRefundsAtOnce(merchant, payment.id, settled.amount_received);
  }

  private async heldForReview(): Promise<void> {
    const merchant = this.pick(this.merchants);
    const payment = await this.createPayment(merchant, 'held_for_review', {
      amount: this.amount(),
      currency: 'USD',
      source: 'tok_risk_elevated',
    });
    if (!payment) return;
    const settled = await this.settle(merchant, payment.id);
    if (settled?.status !== 'requires_review') return;
    const roll = this.random();
    if (roll < 0.2) return; // left for ops: waiting, visibly, for review
    this.count('review payment');
    const answer = await this.client.call('POST', `/v1/payments/${payment.id}/review`, {
      apiKey: this.adminKey,
      idempotencyKey: randomUUID(),
      body: { decision: roll < 0.7 ? 'approve' : 'decline', note: 'chaos review' },
    });
    if (answer.status === 409)
      this.outcome.violations.push(
        `keyed review of ${payment.id} in requires_review answered 409 after ${answer.sends} send(s): ${JSON.stringify(answer.body)}`,
      );
  }

  /** A charge the card network disputes a few seconds after capture; the merchant accepts some disputes and leaves others open. */
  private async disputedSale(): Promise<void> {
    const merchant = this.pick(this.merchants);
    const payment = await this.createPayment(merchant, 'disputed_sale', {
      amount: this.amount(),
      currency: 'USD',
      source: 'tok_createDispute',
    });
    if (!payment || (await this.settle(merchant, payment.id))?.status !== 'succeeded') return;
    await new Promise((resolve) => setTimeout(resolve, 4_000));
    if (this.random() < 0.5) return;
    this.count('list disputes');
    const open = await this.client.call('GET', `/v1/disputes?payment_id=${payment.id}&status=needs_response&limit=1`, {
      apiKey: merchant.apiKey,
    });
    const dispute = open.body?.data?.[0];
    if (!dispute) return;
    this.count('close dispute');
    // Only this loop acts on its payment's dispute, and the key makes a resend get the first outcome: a 409 is wrong on any send.
    const answer = await this.client.call('POST', `/v1/disputes/${dispute.id}/close`, {
      apiKey: merchant.apiKey,
      idempotencyKey: randomUUID(),
    });
    if (answer.status === 409)
      this.outcome.violations.push(
        `keyed close of dispute ${dispute.id} in needs_response answered 409 after ${answer.sends} send(s): ${JSON.stringify(answer.body)}`,
      );
  }

  /** Client-side check after the heal: every status a client saw as final is still what the API says. */
  async confirmFinalStatuses(merchantsById: Map<string, ChaosMerchant>): Promise<void> {
    for (const payment of this.outcome.payments.values()) {
      if (!FINAL.has(payment.lastSeenStatus) || payment.lastSeenStatus === 'refunded') continue;
      const fetched = await this.client.call('GET', `/v1/payments/${payment.id}`, {
        apiKey: (merchantsById.get(payment.merchantId) as ChaosMerchant).apiKey,
      });
      const now = fetched.body?.status;
      const consistent = now === payment.lastSeenStatus || (payment.lastSeenStatus === 'succeeded' && now === 'refunded');
      if (!consistent) this.outcome.violations.push(`payment ${payment.id} was ${payment.lastSeenStatus} to the client and is ${now} now`);
    }
  }
}
