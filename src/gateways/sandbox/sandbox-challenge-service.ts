import { timingSafeEqual } from 'node:crypto';
import type { Client } from '@temporalio/client';
import { WorkflowNotFoundError } from '@temporalio/client';
import type { Orm } from '../../db/orm';
import { sqlFor } from '../../db/sql';
import type { Logger } from '../../logger';
import { MerchantRepository } from '../../merchants/merchant-repository';
import { PaymentRepository } from '../../payments/payment-repository';
import { paymentWorkflowId, type GatewayPaymentEvent } from '../../payments/payment-state';
import { gatewayPaymentEventSignal } from '../../../workflows/payment-workflow';
import { CHALLENGE_FIELDS, CHALLENGE_RESULTS, type ChallengeResult } from './sandbox-challenge-page';
import type { SandboxChallengeRow } from './sandbox-gateway-operation-record';
import { SandboxGatewayOperationRepository } from './sandbox-gateway-operation-repository';

/** What the challenge page shows. */
export type ChallengeView =
  | { kind: 'not_found' }
  | { kind: 'expired' }
  | { kind: 'decided'; passed: boolean; paymentId: string; returnUrl: string | null }
  | { kind: 'open'; merchantName: string; amountMinor: number; currency: string; csrfToken: string; returnUrl: string | null };

/** What answering the challenge came to. */
export type ChallengeAnswer =
  | { kind: 'not_found' }
  | { kind: 'expired' }
  | { kind: 'forbidden' }
  | { kind: 'invalid'; param: string; message: string }
  | { kind: 'decided'; passed: boolean; paymentId: string; returnUrl: string | null; recordedNow: boolean };

const FAILED_OUTCOME = 'declined:AuthenticationFailed';

/**
 * The sandbox issuer's 3-D Secure challenge: the page a payment's `next_action` sends the customer to, and the
 * customer's answer, recorded once at the sandbox and told at once to the payment's workflow.
 */
export class SandboxChallengeService {
  constructor(private readonly deps: { orm: Orm; temporal: Client; logger: Logger }) {}

  /** The challenge page's content, or why there is none. */
  async view(challengeId: string): Promise<ChallengeView> {
    const challenge = await this.operations().findChallenge(challengeId);
    if (!challenge) return { kind: 'not_found' };
    const decided = decidedView(challenge);
    if (decided) return decided;
    const em = this.deps.orm.em.fork();
    const payment = await new PaymentRepository(em).findById(challenge.payment_id);
    if (challenge.voided || !payment || payment.status === 'failed' || payment.status === 'canceled') return { kind: 'expired' };
    const merchant = await new MerchantRepository(em).findById(payment.merchantId);
    return {
      kind: 'open',
      merchantName: merchant?.name ?? '',
      amountMinor: Number(challenge.amount_minor),
      currency: challenge.currency,
      csrfToken: challenge.challenge_csrf,
      returnUrl: challenge.return_url,
    };
  }

  /**
   * Records the customer's answer (`complete` or `fail`) once and tells the payment's workflow. A repeat (double
   * click, stale tab) changes nothing and answers what was recorded; a challenge the payment gave up on records nothing.
   */
  async answer(challengeId: string, form: URLSearchParams): Promise<ChallengeAnswer> {
    const operations = this.operations();
    const challenge = await operations.findChallenge(challengeId);
    if (!challenge) return { kind: 'not_found' };
    if (!sameSecret(form.get(CHALLENGE_FIELDS.csrfToken) ?? '', challenge.challenge_csrf)) return { kind: 'forbidden' };
    const result = form.get(CHALLENGE_FIELDS.result);
    if (!CHALLENGE_RESULTS.includes(result as ChallengeResult))
      return { kind: 'invalid', param: 'result', message: `result must be one of: ${CHALLENGE_RESULTS.join(', ')}` };
    const payment = await new PaymentRepository(this.deps.orm.em.fork()).findById(challenge.payment_id);
    let recordedNow = false;
    if (challenge.outcome === 'requires_action') {
      if (challenge.voided || !payment || payment.status === 'failed' || payment.status === 'canceled') return { kind: 'expired' };
      const passedOutcome = challenge.sale ? 'captured' : 'authorized';
      recordedNow = await operations.decideChallenge(challengeId, result === 'complete' ? passedOutcome : FAILED_OUTCOME);
    }
    // Read back: a concurrent answer, or the payment's void, may have come first; what is recorded is the answer.
    const recorded = await operations.findChallenge(challengeId);
    const decided = recorded ? decidedView(recorded) : undefined;
    if (!recorded || !decided) return { kind: 'expired' };
    // Signalled again on a repeat while the payment still waits: a signal lost with the process that recorded the
    // answer is sent by the next click; the workflow counts the event (one id per challenge) once.
    if (recordedNow || payment?.status === 'requires_action' || payment?.status === 'processing')
      await this.signalPayment(recorded, decided.passed);
    return { ...decided, recordedNow };
  }

  private async signalPayment(challenge: SandboxChallengeRow, passed: boolean): Promise<void> {
    const eventId = `sandbox_3ds_${challenge.id}`;
    const event: GatewayPaymentEvent = !passed
      ? { eventId, outcome: 'failed', reference: challenge.id, failureType: 'AuthenticationFailed' }
      : challenge.outcome === 'captured'
        ? { eventId, outcome: 'captured', reference: challenge.id, capturedMinor: Number(challenge.amount_minor) }
        : { eventId, outcome: 'authorized', reference: challenge.id };
    try {
      await this.deps.temporal.workflow.getHandle(paymentWorkflowId(challenge.payment_id)).signal(gatewayPaymentEventSignal, event);
    } catch (error) {
      // The payment has finished already (its status sync found the answer first): nothing is waiting for it.
      if (error instanceof WorkflowNotFoundError) return;
      throw error;
    }
    this.deps.logger.info({ paymentId: challenge.payment_id, reference: challenge.id, passed }, 'sandbox 3-D Secure answer signalled');
  }

  private operations(): SandboxGatewayOperationRepository {
    return new SandboxGatewayOperationRepository(sqlFor(this.deps.orm.em.fork()));
  }
}

/** The recorded answer of a challenge no longer waiting for the customer; undefined while it waits, or when it never got one. */
function decidedView(challenge: SandboxChallengeRow): Extract<ChallengeView, { kind: 'decided' }> | undefined {
  if (challenge.outcome === 'requires_action') return undefined;
  const passed = challenge.outcome === 'authorized' || challenge.outcome === 'captured';
  if (!passed && challenge.outcome !== FAILED_OUTCOME) return undefined;
  return { kind: 'decided', passed, paymentId: challenge.payment_id, returnUrl: challenge.return_url };
}

/** Compares the form's CSRF token with the stored one in constant time. */
function sameSecret(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}
