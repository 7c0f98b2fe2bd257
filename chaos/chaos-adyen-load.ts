import type { AdyenCard, AdyenMerchant } from './chaos-adyen';
import type { LoadActions } from './chaos-load-actions';

export const ADYEN_SCENARIOS = [
  'adyen_sale',
  'adyen_sale_then_refund',
  'adyen_authorize_then_capture_or_cancel',
  'adyen_soft_decline_failover',
  'adyen_hard_decline',
  'adyen_chargeback',
  'adyen_duplicate_key_burst',
  'adyen_sales_during_outage',
] as const;
export type AdyenScenario = (typeof ADYEN_SCENARIOS)[number];
/** Each scenario's share of the Adyen load, as cumulative bounds in ADYEN_SCENARIOS' order. */
const WEIGHTS = [0.3, 0.48, 0.66, 0.76, 0.84, 0.93, 1, 1];
const SALE_CARDS: [AdyenCard, number][] = [
  ['visa', 55],
  ['mastercard', 25],
  ['notEnoughBalance', 5],
  ['acquirerError', 5],
];

interface Attempt {
  gateway: string;
  outcome: string;
  failure_code: string | null;
  failed_over: boolean;
}

/**
 * The Adyen merchant's load: the same merchant integration as the other loads, paying with vaulted
 * cards through its accounts in priority order (Adyen, then a sandbox account). A soft decline or an
 * outage at Adyen fails over to the sandbox account; a hard decline must not.
 */
export class AdyenLoad {
  constructor(
    private readonly actions: LoadActions,
    private readonly merchants: AdyenMerchant[],
  ) {}

  /** Scenario kinds not run yet: each kind runs once before the weighted draws, so a short run covers them all. */
  private readonly firstRound: AdyenScenario[] = ADYEN_SCENARIOS.filter((name) => name !== 'adyen_sales_during_outage');

  /** Scenario kinds of the first round still to run: a slowed run keeps its load going until they have. */
  get firstRoundLeft(): number {
    return this.firstRound.length;
  }

  /**
   * When Adyen goes down, a few customers pay at once, besides the merchant systems' loop (slowed by the other
   * faults, it may send few Adyen payments in the outage): each must be charged at the sandbox account instead.
   */
  duringOutage(sales = 3): Promise<void> {
    const a = this.actions;
    return a.scenario('adyen_sales_during_outage', async () => {
      await Promise.all(
        Array.from({ length: sales }, () => this.sale(a.pick(this.merchants), 'adyen_sales_during_outage', a.pick(['visa', 'mastercard']))),
      );
    });
  }

  /**
   * Before the faults: one sale on each Adyen merchant, decided at Adyen. Under the faults a slow host may send
   * few Adyen payments before the outage and route the rest past Adyen while it cools down; the run still shows
   * the adapter's plain success this way.
   */
  async beforeFaults(): Promise<void> {
    for (const merchant of this.merchants) await this.sale(merchant, 'adyen_sale', 'visa');
  }

  async oneScenario(): Promise<void> {
    const roll = this.actions.random();
    const name = this.firstRound.shift() ?? ADYEN_SCENARIOS[WEIGHTS.findIndex((upTo) => roll < upTo)] ?? 'adyen_duplicate_key_burst';
    return this.actions.scenario(name, () => this.run(name));
  }

  private run(name: AdyenScenario): Promise<void> {
    const a = this.actions;
    const merchant = a.pick(this.merchants);
    switch (name) {
      case 'adyen_sale':
        return this.sale(merchant, name, a.weighted(SALE_CARDS) as AdyenCard);
      case 'adyen_sale_then_refund':
        return this.saleThenRefund(merchant);
      case 'adyen_authorize_then_capture_or_cancel':
        return this.authorizeThenDecide(merchant);
      case 'adyen_soft_decline_failover':
        return this.sale(merchant, name, 'acquirerError');
      case 'adyen_hard_decline':
        return this.sale(merchant, name, 'notEnoughBalance');
      case 'adyen_chargeback':
        return this.sale(merchant, name, 'chargeback');
      case 'adyen_sales_during_outage':
        return this.duringOutage();
      case 'adyen_duplicate_key_burst':
        return a.duplicateKeyBurst(merchant, name, {
          amount: a.amount(),
          currency: 'EUR',
          source: merchant.tokens.visa,
          description: 'duplicate burst through Adyen',
        });
    }
  }

  /** A sale, checked once decided: a soft decline at Adyen was tried at the next account, a hard one was not. */
  private async sale(merchant: AdyenMerchant, scenario: AdyenScenario, card: AdyenCard): Promise<void> {
    const a = this.actions;
    const payment = await a.createPayment(merchant, scenario, {
      amount: a.amount(),
      currency: a.pick(['EUR', 'EUR', 'USD']),
      source: merchant.tokens[card],
      description: 'chaos sale through Adyen',
    });
    if (!payment) return;
    const settled = (await a.settle(merchant, payment.id)) as { attempts?: Attempt[] } | undefined;
    const attempts = settled?.attempts ?? [];
    attempts.forEach((attempt, i) => {
      const next = attempts[i + 1];
      if (attempt.gateway !== 'adyen' || attempt.outcome !== 'declined') return;
      if (attempt.failed_over && !next) a.outcome.violations.push(`payment ${payment.id}: Adyen attempt failed over to no next attempt`);
      if (!attempt.failed_over && next)
        a.outcome.violations.push(`payment ${payment.id}: an attempt after a decline that did not fail over`);
      // During the outage the card never reached Adyen's decision (gateway_unavailable): failing over then is right.
      if (card === 'notEnoughBalance' && attempt.failed_over && attempt.failure_code === 'insufficient_funds')
        a.outcome.violations.push(`payment ${payment.id}: a hard decline (${attempt.failure_code}) failed over`);
      if (card === 'acquirerError' && attempt.failure_code === 'processing_error' && !attempt.failed_over)
        a.outcome.violations.push(`payment ${payment.id}: a soft decline at Adyen did not fail over`);
    });
  }

  private async saleThenRefund(merchant: AdyenMerchant): Promise<void> {
    const a = this.actions;
    const payment = await a.createPayment(merchant, 'adyen_sale_then_refund', {
      amount: a.amount(),
      currency: 'EUR',
      source:
        merchant.tokens[
          a.weighted([
            ['visa', 6],
            ['mastercard', 3],
            ['refundFails', 1],
          ]) as AdyenCard
        ],
    });
    if (!payment) return;
    const settled = await a.settle(merchant, payment.id);
    if (settled?.status !== 'succeeded') return;
    const partial = a.random() < 0.5;
    await a.refund(merchant, payment.id, partial ? Math.max(0.01, Math.round(settled.amount_received * 50) / 100) : undefined);
  }

  private async authorizeThenDecide(merchant: AdyenMerchant): Promise<void> {
    const a = this.actions;
    const payment = await a.createPayment(merchant, 'adyen_authorize_then_capture_or_cancel', {
      amount: a.amount(),
      currency: 'EUR',
      source:
        merchant.tokens[
          a.weighted([
            ['visa', 6],
            ['mastercard', 3],
            ['captureFails', 1],
          ]) as AdyenCard
        ],
      capture: false,
    });
    if (!payment) return;
    if ((await a.settle(merchant, payment.id))?.status !== 'requires_capture') return;
    await a.captureOrCancel(merchant, payment);
  }
}
