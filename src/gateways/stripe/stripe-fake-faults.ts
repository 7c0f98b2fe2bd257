/**
 * Faults of the fake Stripe API: injected one by one for a test, or drawn at random rates for the
 * chaos run. "After commit" faults let the work happen (a charge, a refund) and lose or spoil only
 * the answer: the case our status sync exists for.
 */

export type FakeOperation =
  | 'create_payment_intent'
  | 'confirm'
  | 'retrieve_payment_intent'
  | 'capture'
  | 'cancel'
  | 'search'
  | 'create_payment_method'
  | 'retrieve_payment_method'
  | 'refund'
  | 'retrieve_refund'
  | 'list_refunds'
  | 'retrieve_charge'
  | 'retrieve_dispute'
  | 'retrieve_event'
  | 'balance'
  | 'create_payout'
  | 'retrieve_payout'
  | 'list_payouts'
  | 'cancel_payout';

export type FakeFaultKind =
  /** Do the work, then close the connection without a byte of answer. */
  | 'lose_answer_after_commit'
  /** Do the work, send the answer's headers and part of its body, then close the connection. */
  | 'truncate_answer_after_commit'
  /** Answer 500 before doing anything; nothing is saved under the idempotency key. */
  | 'http_500_before'
  /** Do the work, then answer 500 and save that 500 under the idempotency key, as Stripe does. */
  | 'http_500_after_commit'
  /** Answer 429 with Stripe's rate-limit body; nothing happens. */
  | 'rate_limit'
  /** Close the connection as soon as the request arrives; nothing happens. */
  | 'connection_refused_before'
  /** Wait `ms` before doing the work; the work happens even if the caller gave up. */
  | 'delay';

export interface FakeFault {
  operation: FakeOperation | 'any';
  kind: FakeFaultKind;
  /** How many matching requests it hits; 1 when absent. */
  times?: number;
  /** For `delay`. */
  ms?: number;
  /** Only requests under this idempotency key. */
  idempotencyKey?: string;
}

export interface FakeRandomFaultRates {
  loseAnswer?: number;
  truncateAnswer?: number;
  /** Split evenly between a 500 before the work and a saved 500 after it. */
  http500?: number;
  rateLimit?: number;
  connectionRefused?: number;
  /** Probability of a delay of `delayMs` (default 200 ms). */
  delay?: number;
  delayMs?: number;
  /** Operations the rates apply to; all when absent. */
  operations?: FakeOperation[];
}

export interface DrawnFault {
  kind: FakeFaultKind;
  ms: number;
}

export class FakeFaults {
  private injected: (FakeFault & { times: number })[] = [];
  private rates: FakeRandomFaultRates = {};
  private random: () => number = Math.random;

  inject(fault: FakeFault): void {
    this.injected.push({ ...fault, times: fault.times ?? 1 });
  }

  clear(): void {
    this.injected = [];
    this.rates = {};
  }

  setRandom(rates: FakeRandomFaultRates, random?: () => number): void {
    this.rates = { ...rates };
    if (random) this.random = random;
  }

  /** The fault this request meets, if any: injected ones first, in the order they were injected. */
  draw(operation: FakeOperation, idempotencyKey: string | null): DrawnFault | undefined {
    const index = this.injected.findIndex(
      (fault) =>
        (fault.operation === 'any' || fault.operation === operation) &&
        (fault.idempotencyKey === undefined || fault.idempotencyKey === idempotencyKey),
    );
    if (index >= 0) {
      const fault = this.injected[index];
      fault.times -= 1;
      if (fault.times <= 0) this.injected.splice(index, 1);
      return { kind: fault.kind, ms: fault.ms ?? 0 };
    }
    return this.drawRandom(operation);
  }

  private drawRandom(operation: FakeOperation): DrawnFault | undefined {
    const rates = this.rates;
    if (rates.operations && !rates.operations.includes(operation)) return undefined;
    const table: [number | undefined, () => FakeFaultKind][] = [
      [rates.loseAnswer, () => 'lose_answer_after_commit'],
      [rates.truncateAnswer, () => 'truncate_answer_after_commit'],
      [rates.http500, () => (this.random() < 0.5 ? 'http_500_before' : 'http_500_after_commit')],
      [rates.rateLimit, () => 'rate_limit'],
      [rates.connectionRefused, () => 'connection_refused_before'],
      [rates.delay, () => 'delay'],
    ];
    let roll = this.random();
    for (const [rate, kind] of table) {
      if (!rate) continue;
      if (roll < rate) return { kind: kind(), ms: rates.delayMs ?? 200 };
      roll -= rate;
    }
    return undefined;
  }
}
