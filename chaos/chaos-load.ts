import { randomUUID } from 'node:crypto';
import type { ChaosClient } from './chaos-client';

export interface ChaosMerchant {
  id: string;
  apiKey: string;
}

/** A payment the load created, as the client last saw it. */
export interface TrackedPayment {
  id: string;
  merchantId: string;
  scenario: string;
  lastSeenStatus: string;
}

export interface LoadOutcome {
  /** Scenario runs by name, and the API operations they sent (first sends; retries are in the client's stats). */
  scenarios: Record<string, number>;
  operations: Record<string, number>;
  payments: Map<string, TrackedPayment>;
  /** Things the load itself saw go wrong: two ids for one Idempotency-Key, a success the API later denied. */
  violations: string[];
}

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

/**
 * A mixed merchant load: sales, authorizations captured or canceled later, payments held for review,
 * refunds (some several at once on one payment), disputes, and bursts of one Idempotency-Key sent
 * fifty times at once. Each virtual merchant system loops until `until`.
 */
export class ChaosLoad {
  readonly outcome: LoadOutcome = { scenarios: {}, operations: {}, payments: new Map(), violations: [] };

  constructor(
    private readonly client: ChaosClient,
    private readonly merchants: ChaosMerchant[],
    private readonly adminKey: string,
    private readonly random: () => number,
  ) {}

  async run(concurrency: number, until: number): Promise<void> {
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (Date.now() < until) {
          await this.oneScenario().catch((error) => this.outcome.violations.push(`load error: ${(error as Error).message}`));
        }
      }),
    );
  }

  private async oneScenario(): Promise<void> {
    const roll = this.random();
    if (roll < 0.42) return this.scenario('sale', () => this.sale());
    if (roll < 0.62) return this.scenario('sale_then_refund', () => this.saleThenRefund());
    if (roll < 0.8) return this.scenario('authorize_then_capture_or_cancel', () => this.authorizeThenDecide());
    if (roll < 0.88) return this.scenario('concurrent_refunds', () => this.concurrentRefunds());
    if (roll < 0.91) return this.scenario('held_for_review', () => this.heldForReview());
    if (roll < 0.95) return this.scenario('disputed_sale', () => this.disputedSale());
    return this.scenario('duplicate_key_burst', () => this.duplicateKeyBurst(50));
  }

  private async scenario(name: string, run: () => Promise<void>): Promise<void> {
    this.outcome.scenarios[name] = (this.outcome.scenarios[name] ?? 0) + 1;
    await run();
  }

  private pick<T>(items: T[]): T {
    return items[Math.floor(this.random() * items.length)];
  }

  private weighted(items: [string, number][]): string {
    const total = items.reduce((sum, [, weight]) => sum + weight, 0);
    let roll = this.random() * total;
    for (const [item, weight] of items) if ((roll -= weight) < 0) return item;
    return items[0][0];
  }

  private amount(): number {
    return Math.round((1 + this.random() * 499) * 100) / 100;
  }

  private count(operation: string): void {
    this.outcome.operations[operation] = (this.outcome.operations[operation] ?? 0) + 1;
  }

  private async createPayment(merchant: ChaosMerchant, scenario: string, body: Record<string, unknown>, key = randomUUID()) {
    this.count('create payment');
    const created = await this.client.call('POST', '/v1/payments', { apiKey: merchant.apiKey, body, idempotencyKey: key });
    if (created.body?.id && typeof created.body.id === 'string' && created.body.id.startsWith('pay_')) {
      this.outcome.payments.set(created.body.id, {
        id: created.body.id,
        merchantId: merchant.id,
        scenario,
        lastSeenStatus: created.body.status,
      });
      return created.body as { id: string; status: string; amount: number; currency: string };
    }
    return undefined;
  }

  /** Polls the payment until it leaves `processing` (or the wait ends), as a merchant's order page would. */
  private async settle(
    merchant: ChaosMerchant,
    paymentId: string,
    waitMs = 60_000,
  ): Promise<{ status: string; amount_received: number; currency: string } | undefined> {
    const deadline = Date.now() + waitMs;
    while (Date.now() < deadline) {
      this.count('retrieve payment');
      const fetched = await this.client.call('GET', `/v1/payments/${paymentId}`, { apiKey: merchant.apiKey });
      if (fetched.status === 200 && fetched.body.status !== 'processing') {
        (this.outcome.payments.get(paymentId) as TrackedPayment).lastSeenStatus = fetched.body.status;
        return fetched.body;
      }
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
    return undefined;
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

  private async refund(merchant: ChaosMerchant, paymentId: string, amount?: number) {
    this.count('create refund');
    return this.client.call('POST', '/v1/refunds', {
      apiKey: merchant.apiKey,
      idempotencyKey: randomUUID(),
      body: { payment_id: paymentId, ...(amount !== undefined ? { amount } : {}), reason: 'requested_by_customer' },
    });
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
    const roll = this.random();
    // Some authorizations are left waiting for capture: a payment may rightly wait, visibly, for the merchant.
    if (roll < 0.15) return;
    if (roll < 0.4) {
      this.count('cancel payment');
      await this.decide(merchant, payment.id, 'cancel', {});
      return;
    }
    this.count('capture payment');
    const partial = this.random() < 0.3;
    await this.decide(merchant, payment.id, 'capture', partial ? { amount: Math.max(0.01, Math.round(payment.amount * 60) / 100) } : {});
    if (this.random() < 0.3) {
      const captured = await this.settle(merchant, payment.id);
      if (captured?.status === 'succeeded') await this.refund(merchant, payment.id);
    }
  }

  /**
   * Capture and cancel carry an Idempotency-Key, which becomes the workflow update's id: a resend after a lost
   * answer gets the first outcome, so nobody else acting on this payment, no 409 is right, on any send.
   */
  private async decide(
    merchant: ChaosMerchant,
    paymentId: string,
    action: 'capture' | 'cancel',
    body: Record<string, unknown>,
  ): Promise<void> {
    const answer = await this.client.call('POST', `/v1/payments/${paymentId}/${action}`, {
      apiKey: merchant.apiKey,
      body,
      idempotencyKey: randomUUID(),
    });
    if (answer.status === 409)
      this.outcome.violations.push(
        `keyed ${action} of ${paymentId} in requires_capture answered 409 after ${answer.sends} send(s): ${JSON.stringify(answer.body)}`,
      );
  }

  /** Four refunds of 40 % each, sent at once: at most two can fit in what was captured. */
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
    const share = Math.max(0.01, Math.floor(settled.amount_received * 40) / 100);
    await Promise.all(Array.from({ length: 4 }, () => this.refund(merchant, payment.id, share)));
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

  /** Fifty copies of one request with one Idempotency-Key, all at once: one payment, one charge. */
  private async duplicateKeyBurst(copies: number): Promise<void> {
    const merchant = this.pick(this.merchants);
    const key = randomUUID();
    const body = { amount: this.amount(), currency: 'USD', source: 'tok_visa', description: 'duplicate burst' };
    const answers = await Promise.all(Array.from({ length: copies }, () => this.createPayment(merchant, 'duplicate_key_burst', body, key)));
    const ids = new Set(answers.filter((answer) => answer !== undefined).map((answer) => answer.id));
    if (ids.size > 1) this.outcome.violations.push(`Idempotency-Key ${key} created ${ids.size} payments: ${[...ids].join(', ')}`);
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
