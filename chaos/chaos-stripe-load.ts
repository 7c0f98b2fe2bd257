import type { StripeFake } from '../src/gateways/stripe/stripe-fake';
import type { ChaosMerchant, LoadActions } from './chaos-load-actions';

// Stripe's documented test PaymentMethods: mostly good cards, and the declines a shop sees most.
const SALE_SOURCES: [string, number][] = [
  ['pm_card_visa', 50],
  ['pm_card_mastercard', 20],
  ['pm_card_chargeDeclined', 8],
  ['pm_card_chargeDeclinedInsufficientFunds', 6],
];
const RETURN_URL = 'https://shop.example/chaos/return';
export const STRIPE_SCENARIOS = [
  'stripe_sale',
  'stripe_sale_then_refund',
  'stripe_authorize_then_capture_or_cancel',
  'stripe_concurrent_refunds',
  'stripe_3d_secure',
  'stripe_disputed_sale',
  'stripe_duplicate_key_burst',
] as const;
export type StripeScenario = (typeof STRIPE_SCENARIOS)[number];
/** Each scenario's share of the Stripe load, as cumulative bounds in STRIPE_SCENARIOS' order. */
const WEIGHTS = [0.3, 0.45, 0.62, 0.72, 0.85, 0.93, 1];

/**
 * The Stripe merchants' load: the same merchant integration as the sandbox load (the chaos client,
 * an Idempotency-Key on every mutation), paying through our Stripe adapter against the Stripe fake.
 * The fake stands in for the customer and the card network too: it completes or fails 3-D Secure,
 * and opens and decides disputes.
 */
export class StripeLoad {
  constructor(
    private readonly actions: LoadActions,
    private readonly merchants: ChaosMerchant[],
    private readonly fake: StripeFake,
  ) {}

  /** Scenario kinds not run yet: each kind runs once before the weighted draws, so a short run covers them all. */
  private readonly firstRound: StripeScenario[] = [...STRIPE_SCENARIOS];

  /** Scenario kinds of the first round still to run: a slowed run keeps its load going until they have. */
  get firstRoundLeft(): number {
    return this.firstRound.length;
  }

  async oneScenario(): Promise<void> {
    const a = this.actions;
    const roll = a.random();
    const name = this.firstRound.shift() ?? STRIPE_SCENARIOS[WEIGHTS.findIndex((upTo) => roll < upTo)] ?? 'stripe_duplicate_key_burst';
    return a.scenario(name, () => this.run(name));
  }

  private run(name: StripeScenario): Promise<void> {
    const a = this.actions;
    switch (name) {
      case 'stripe_sale':
        return this.sale();
      case 'stripe_sale_then_refund':
        return this.saleThenRefund();
      case 'stripe_authorize_then_capture_or_cancel':
        return this.authorizeThenDecide();
      case 'stripe_concurrent_refunds':
        return this.concurrentRefunds();
      case 'stripe_3d_secure':
        return this.threeDSecure();
      case 'stripe_disputed_sale':
        return this.disputedSale();
      case 'stripe_duplicate_key_burst':
        return a.duplicateKeyBurst(a.pick(this.merchants), name, {
          amount: a.amount(),
          currency: 'USD',
          source: 'pm_card_visa',
          description: 'duplicate burst through Stripe',
        });
    }
  }

  private async sale(): Promise<void> {
    const a = this.actions;
    await a.createPayment(a.pick(this.merchants), 'stripe_sale', {
      amount: a.amount(),
      currency: a.pick(['USD', 'USD', 'EUR']),
      source: a.weighted(SALE_SOURCES),
      description: 'chaos sale through Stripe',
    });
  }

  private async saleThenRefund(): Promise<void> {
    const a = this.actions;
    const merchant = a.pick(this.merchants);
    const payment = await a.createPayment(merchant, 'stripe_sale_then_refund', {
      amount: a.amount(),
      currency: 'USD',
      source: a.pick(['pm_card_visa', 'pm_card_mastercard']),
    });
    if (!payment) return;
    const settled = await a.settle(merchant, payment.id);
    if (settled?.status !== 'succeeded') return;
    const partial = a.random() < 0.5;
    await a.refund(merchant, payment.id, partial ? Math.max(0.01, Math.round(settled.amount_received * 50) / 100) : undefined);
  }

  private async authorizeThenDecide(): Promise<void> {
    const a = this.actions;
    const merchant = a.pick(this.merchants);
    const payment = await a.createPayment(merchant, 'stripe_authorize_then_capture_or_cancel', {
      amount: a.amount(),
      currency: 'USD',
      source: a.pick(['pm_card_visa', 'pm_card_mastercard']),
      capture: false,
    });
    if (!payment) return;
    if ((await a.settle(merchant, payment.id))?.status !== 'requires_capture') return;
    await a.captureOrCancel(merchant, payment);
  }

  private async concurrentRefunds(): Promise<void> {
    const a = this.actions;
    const merchant = a.pick(this.merchants);
    const payment = await a.createPayment(merchant, 'stripe_concurrent_refunds', {
      amount: a.amount(),
      currency: 'USD',
      source: 'pm_card_visa',
    });
    if (!payment) return;
    const settled = await a.settle(merchant, payment.id);
    if (settled?.status !== 'succeeded') return;
    await a.fourRefundsAtOnce(merchant, payment.id, settled.amount_received);
  }

  /**
   * A card that asks for 3-D Secure: the payment waits in requires_action, then the customer
   * authenticates (or fails to, or never comes back) on Stripe's page, and Stripe's signed event
   * decides the payment. An authorization that came through is then captured or canceled.
   */
  private async threeDSecure(): Promise<void> {
    const a = this.actions;
    const merchant = a.pick(this.merchants);
    const capture = a.random() < 0.7;
    const payment = await a.createPayment(merchant, 'stripe_3d_secure', {
      amount: a.amount(),
      currency: 'USD',
      source: 'pm_card_authenticationRequired',
      return_url: RETURN_URL,
      capture,
    });
    if (!payment) return;
    const waiting = await a.settle(merchant, payment.id);
    if (waiting?.status !== 'requires_action' || !waiting.gateway_reference) return;
    const roll = a.random();
    if (roll < 0.15) {
      // The customer closed the tab: the payment rightly waits until the action timeout cancels it at Stripe.
      a.count('customer abandons 3-D Secure');
      a.outcome.leftWaitingForAction.add(payment.id);
      return;
    }
    a.count('authenticate at Stripe');
    await new Promise((resolve) => setTimeout(resolve, 200 + a.random() * 1_500));
    // Past the action timeout the workflow has canceled the PaymentIntent: the customer came back too late.
    if (this.fake.paymentIntent(waiting.gateway_reference)?.status !== 'requires_action') return;
    try {
      this.fake.completeAction(waiting.gateway_reference, { succeed: roll >= 0.35 });
    } catch (error) {
      // Only a PaymentIntent still waiting can be authenticated: anything else is worth a look.
      a.outcome.violations.push(`3-D Secure of ${payment.id} could not be completed at Stripe: ${(error as Error).message}`);
      return;
    }
    const decided = await a.settle(merchant, payment.id, 90_000);
    if (!capture && decided?.status === 'requires_capture') await a.captureOrCancel(merchant, payment);
  }

  /**
   * A sale the card network disputes shortly after capture (Stripe's createDispute card): Stripe
   * opens it and sends charge.dispute.created; the network later rules on some (won or lost) and
   * leaves the others open.
   */
  private async disputedSale(): Promise<void> {
    const a = this.actions;
    const merchant = a.pick(this.merchants);
    const payment = await a.createPayment(merchant, 'stripe_disputed_sale', {
      amount: a.amount(),
      currency: 'USD',
      source: 'pm_card_createDispute',
    });
    if (!payment) return;
    const settled = await a.settle(merchant, payment.id);
    const reference = settled?.gateway_reference;
    if (settled?.status !== 'succeeded' || !reference) return;
    const roll = a.random();
    if (roll < 0.4) return;
    await new Promise((resolve) => setTimeout(resolve, 2_000 + a.random() * 4_000));
    const dispute = this.fake.disputes({ paymentIntent: reference }).find((candidate) => candidate.status === 'needs_response');
    if (!dispute) return;
    a.count('network rules on a Stripe dispute');
    this.fake.closeDispute(dispute.id, roll < 0.7 ? 'won' : 'lost');
  }
}
