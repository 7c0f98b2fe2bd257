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
  /** Payments the load left in `requires_action` on purpose (the customer never came back): waiting there is right. */
  leftWaitingForAction: Set<string>;
  /** Things the load itself saw go wrong: two ids for one Idempotency-Key, a success the API later denied. */
  violations: string[];
}

export interface SettledPayment {
  status: string;
  amount: number;
  amount_received: number;
  currency: string;
  gateway_reference?: string | null;
}

/** Statuses in which the payment's outcome is not known yet: a merchant's order page keeps asking. */
const UNDECIDED = new Set(['processing', 'held']);

/**
 * What a merchant system does through the API, shared by the sandbox and the Stripe loads: create a
 * payment, poll it until decided, refund, capture or cancel with an Idempotency-Key on every mutation.
 */
export class LoadActions {
  readonly outcome: LoadOutcome = { scenarios: {}, operations: {}, payments: new Map(), leftWaitingForAction: new Set(), violations: [] };

  constructor(
    protected readonly client: ChaosClient,
    readonly adminKey: string,
    readonly random: () => number,
  ) {}

  async scenario(name: string, run: () => Promise<void>): Promise<void> {
    this.outcome.scenarios[name] = (this.outcome.scenarios[name] ?? 0) + 1;
    await run();
  }

  pick<T>(items: T[]): T {
    return items[Math.floor(this.random() * items.length)];
  }

  weighted(items: [string, number][]): string {
    const total = items.reduce((sum, [, weight]) => sum + weight, 0);
    let roll = this.random() * total;
    for (const [item, weight] of items) if ((roll -= weight) < 0) return item;
    return items[0][0];
  }

  amount(): number {
    return Math.round((1 + this.random() * 499) * 100) / 100;
  }

  count(operation: string): void {
    this.outcome.operations[operation] = (this.outcome.operations[operation] ?? 0) + 1;
  }

  async createPayment(merchant: ChaosMerchant, scenario: string, body: Record<string, unknown>, key: string = randomUUID()) {
    this.count('create payment');
    const created = await this.client.call('POST', '/v1/payments', { apiKey: merchant.apiKey, body, idempotencyKey: key });
    if (created.body?.id && typeof created.body.id === 'string' && created.body.id.startsWith('pay_')) {
      this.outcome.payments.set(created.body.id, {
        id: created.body.id,
        merchantId: merchant.id,
        scenario,
        lastSeenStatus: created.body.status,
      });
      return created.body as { id: string; status: string; amount: number; currency: string; gateway_reference?: string | null };
    }
    return undefined;
  }

  /** Polls the payment until it leaves `processing` or `held` (or the wait ends), as a merchant's order page would. */
  async settle(merchant: ChaosMerchant, paymentId: string, waitMs = 60_000): Promise<SettledPayment | undefined> {
    const deadline = Date.now() + waitMs;
    while (Date.now() < deadline) {
      this.count('retrieve payment');
      const fetched = await this.client.call('GET', `/v1/payments/${paymentId}`, { apiKey: merchant.apiKey });
      if (fetched.status === 200 && !UNDECIDED.has(fetched.body.status)) {
        (this.outcome.payments.get(paymentId) as TrackedPayment).lastSeenStatus = fetched.body.status;
        return fetched.body;
      }
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
    return undefined;
  }

  async refund(merchant: ChaosMerchant, paymentId: string, amount?: number) {
    this.count('create refund');
    return this.client.call('POST', '/v1/refunds', {
      apiKey: merchant.apiKey,
      idempotencyKey: randomUUID(),
      body: { payment_id: paymentId, ...(amount !== undefined ? { amount } : {}), reason: 'requested_by_customer' },
    });
  }

  /**
   * Capture and cancel carry an Idempotency-Key, which becomes the workflow update's id: a resend after a lost
   * answer gets the first outcome, so nobody else acting on this payment, no 409 is right, on any send.
   */
  async decide(merchant: ChaosMerchant, paymentId: string, action: 'capture' | 'cancel', body: Record<string, unknown>): Promise<void> {
    this.count(`${action} payment`);
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

  /** Captures (in part, sometimes), cancels or leaves waiting an authorization, as a merchant's fulfilment would; some captures are refunded. */
  async captureOrCancel(merchant: ChaosMerchant, payment: { id: string; amount: number }): Promise<void> {
    const roll = this.random();
    // Some authorizations are left waiting for capture: a payment may rightly wait, visibly, for the merchant.
    if (roll < 0.15) return;
    if (roll < 0.4) return this.decide(merchant, payment.id, 'cancel', {});
    const partial = this.random() < 0.3;
    await this.decide(merchant, payment.id, 'capture', partial ? { amount: Math.max(0.01, Math.round(payment.amount * 60) / 100) } : {});
    if (this.random() < 0.3) {
      const captured = await this.settle(merchant, payment.id);
      if (captured?.status === 'succeeded') await this.refund(merchant, payment.id);
    }
  }

  /** Four refunds of 40 % each, sent at once: at most two can fit in what was captured. */
  async fourRefundsAtOnce(merchant: ChaosMerchant, paymentId: string, received: number): Promise<void> {
    const share = Math.max(0.01, Math.floor(received * 40) / 100);
    await Promise.all(Array.from({ length: 4 }, () => this.refund(merchant, paymentId, share)));
  }

  /** Fifty copies of one request with one Idempotency-Key, all at once: one payment, one charge. */
  async duplicateKeyBurst(merchant: ChaosMerchant, scenario: string, body: Record<string, unknown>, copies = 50): Promise<void> {
    const key = randomUUID();
    const answers = await Promise.all(Array.from({ length: copies }, () => this.createPayment(merchant, scenario, body, key)));
    const ids = new Set(answers.filter((answer) => answer !== undefined).map((answer) => answer.id));
    if (ids.size > 1) this.outcome.violations.push(`Idempotency-Key ${key} created ${ids.size} payments: ${[...ids].join(', ')}`);
  }
}
