import { randomBytes } from 'node:crypto';
import type { Orm } from '../../db/orm';
import { sqlFor } from '../../db/sql';
import { PAYMENT_FAILURES } from '../../shared/failure-types';
import { SandboxFaults, type SandboxFaultSettings, type SandboxOperation } from './sandbox-faults';
import type { SandboxGatewayOperationRow } from './sandbox-gateway-operation-record';
import { SandboxGatewayOperationRepository } from './sandbox-gateway-operation-repository';
import { SandboxNetworkRepository } from './sandbox-network-repository';
import { sandboxBehaviour, type SandboxBehaviour } from './sandbox-tokens';
import {
  GatewayError,
  type AuthorizeRequest,
  type AuthorizationLookup,
  type AuthorizationStatus,
  type AuthorizeResult,
  type GatewayCaptureRequest,
  type GatewayCaptureResult,
  type GatewayRefundRequest,
  type GatewayRefundResult,
  type NextAction,
  type PaymentGateway,
  type RiskLevel,
  type VoidRequest,
  type VoidResult,
} from '../payment-gateway';

export interface SandboxGatewayOptions {
  orm: Orm;
  /** Delay after the sandbox has recorded an operation and before it answers: the window where a crash loses the answer but not the charge. */
  responseDelayMs?: number;
  /** How long after capturing a tok_createDispute charge the network opens its dispute. */
  disputeDelayMs?: number;
  sleep?: (ms: number) => Promise<void>;
  /** Faults injected on purpose (SANDBOX_FAULTS, tests and demos only); `random` and `now` let tests draw them. */
  faults?: SandboxFaultSettings;
  random?: () => number;
  now?: () => number;
  /** Vault tokens: which sandbox token's behaviour a card token has at a given time (set when it was tokenized; an expired card's once it expires). */
  cardTokens?: { behaviourAt(source: string, at: Date): Promise<string | undefined> };
  /** Where the API is reached from outside (PUBLIC_URL): the 3-D Secure challenge pages it serves are under it. */
  publicUrl?: string;
}

const DEFAULT_PUBLIC_URL = 'http://127.0.0.1:3000';

/** 256 random bits, base64url: a challenge page's id and its form's CSRF token cannot be guessed. */
const unguessable = (): string => randomBytes(32).toString('base64url');

/**
 * The test-mode gateway. It keeps its own books in `sandbox_gateway_operations`, one row per
 * idempotency key, exactly as a real gateway would on its side: a repeated key returns the first
 * answer and never moves money twice.
 */
export class SandboxGateway implements PaymentGateway {
  readonly name = 'sandbox';
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly faults?: SandboxFaults;

  constructor(private readonly options: SandboxGatewayOptions) {
    this.sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
    if (options.faults)
      this.faults = new SandboxFaults({
        orm: options.orm,
        settings: options.faults,
        random: options.random,
        now: options.now,
        sleep: this.sleep,
      });
  }

  // Named test tokens only: this check is synchronous, so vault tokens are resolved by CardTokenSources before anything starts.
  recognizesSource(source: string): boolean {
    return sandboxBehaviour(source) !== undefined;
  }

  async riskLevel(source: string): Promise<RiskLevel> {
    return (await this.behaviourOf(source))?.risk ?? 'normal';
  }

  /** A named test token's behaviour, or the one a vault token was given when its card was tokenized. */
  private async behaviourOf(source: string): Promise<SandboxBehaviour | undefined> {
    const named = sandboxBehaviour(source);
    if (named || !this.options.cardTokens) return named;
    const name = await this.options.cardTokens.behaviourAt(source, new Date());
    return name ? sandboxBehaviour(name) : undefined;
  }

  async authorize(request: AuthorizeRequest): Promise<AuthorizeResult> {
    await this.faults?.beforeCall('authorize', request.idempotencyKey);
    const behaviour = await this.behaviourOf(request.source);
    if (!behaviour) throw new GatewayError('InvalidSource', PAYMENT_FAILURES.InvalidSource.message);
    const outcome = behaviour.decline
      ? `declined:${behaviour.decline}`
      : behaviour.requiresAuthentication
        ? 'requires_action'
        : request.capture
          ? 'captured'
          : 'authorized';
    const row = await this.operations().insertOrCountAttempt({
      idempotencyKey: request.idempotencyKey,
      operation: 'authorize',
      authorizationId: null,
      source: request.source,
      amountMinor: request.amountMinor,
      currency: request.currency,
      outcome,
      // A retry under the same key gets the first attempt's challenge back, so the customer has one page whichever answer arrives.
      ...(outcome === 'requires_action'
        ? {
            challenge: {
              id: unguessable(),
              csrfToken: unguessable(),
              paymentId: request.paymentId,
              returnUrl: request.returnUrl ?? null,
              sale: request.capture,
            },
          }
        : {}),
    });
    if (row.outcome === 'captured' && behaviour.disputeAfterCapture)
      await this.scheduleDispute(row.id, request.amountMinor, request.currency);
    await this.answerDelay(row, 'authorize', request.idempotencyKey, behaviour.timeoutsBeforeAnswer ?? 0);
    if (row.outcome.startsWith('declined:')) {
      const failureType = row.outcome.slice('declined:'.length) as keyof typeof PAYMENT_FAILURES;
      throw new GatewayError(failureType, PAYMENT_FAILURES[failureType].message);
    }
    if (row.outcome === 'requires_action' && row.challenge_id)
      return { status: 'requires_action', reference: row.id, capturedMinor: 0, nextAction: this.challengeAction(row.challenge_id) };
    return { reference: row.id, capturedMinor: row.outcome === 'captured' ? Number(row.amount_minor) : 0 };
  }

  /**
   * Status sync of an authorization waiting for the customer's authentication, from the sandbox's own books. Only
   * with a reference: without one (a lost answer) the sandbox has no lookup, and a retry under the same key is it.
   */
  async lookupAuthorization(request: AuthorizationLookup): Promise<AuthorizationStatus> {
    if (!request.reference) return { outcome: 'not_found' };
    const reference = request.reference;
    const authorization = await this.operations().findAuthorizationWithChallenge(reference);
    if (!authorization) return { outcome: 'not_found' };
    if (authorization.voided) return { outcome: 'canceled', reference };
    if (authorization.outcome === 'requires_action' && authorization.challenge_id)
      return { outcome: 'requires_action', reference, nextAction: this.challengeAction(authorization.challenge_id) };
    if (authorization.outcome === 'authorized') return { outcome: 'authorized', reference, capturedMinor: 0 };
    if (authorization.outcome === 'captured') return { outcome: 'captured', reference, capturedMinor: Number(authorization.amount_minor) };
    if (authorization.outcome.startsWith('declined:'))
      return {
        outcome: 'declined',
        reference,
        failureType: authorization.outcome.slice('declined:'.length) as keyof typeof PAYMENT_FAILURES,
      };
    return { outcome: 'pending', reference };
  }

  private challengeAction(challengeId: string): NextAction {
    const base = (this.options.publicUrl ?? DEFAULT_PUBLIC_URL).replace(/\/+$/, '');
    return { type: 'redirect_to_url', url: `${base}/sandbox/3ds/${challengeId}` };
  }

  async capture(request: GatewayCaptureRequest): Promise<GatewayCaptureResult> {
    await this.faults?.beforeCall('capture', request.idempotencyKey);
    await this.requireLiveAuthorization(request.reference, request.amountMinor);
    const row = await this.operations().insertOrCountAttempt({
      idempotencyKey: request.idempotencyKey,
      operation: 'capture',
      authorizationId: request.reference,
      source: null,
      amountMinor: request.amountMinor,
      currency: request.currency,
      outcome: 'captured',
    });
    await this.answerDelay(row, 'capture', request.idempotencyKey, 0);
    return { reference: row.id, capturedMinor: Number(row.amount_minor) };
  }

  async void(request: VoidRequest): Promise<VoidResult> {
    await this.faults?.beforeCall('void', request.idempotencyKey);
    const row = await this.operations().insertOrCountAttempt({
      idempotencyKey: request.idempotencyKey,
      operation: 'void',
      authorizationId: request.reference,
      source: null,
      amountMinor: request.amountMinor,
      currency: request.currency,
      outcome: 'voided',
    });
    await this.answerDelay(row, 'void', request.idempotencyKey, 0);
    return { reference: row.id };
  }

  async refund(request: GatewayRefundRequest): Promise<GatewayRefundResult> {
    await this.faults?.beforeCall('refund', request.idempotencyKey);
    const charge = await this.operations().findCharge(request.reference, request.idempotencyKey);
    const refundable = charge ? Number(charge.captured) - Number(charge.refunded) : 0;
    const fails = !charge || (await this.behaviourOf(charge.source))?.refundFails || request.amountMinor > refundable;
    const row = await this.operations().insertOrCountAttempt({
      idempotencyKey: request.idempotencyKey,
      operation: 'refund',
      authorizationId: request.reference,
      source: null,
      amountMinor: request.amountMinor,
      currency: request.currency,
      outcome: fails ? 'failed' : 'refunded',
    });
    await this.answerDelay(row, 'refund', request.idempotencyKey, 0);
    if (row.outcome === 'failed') throw new GatewayError('RefundFailed', PAYMENT_FAILURES.RefundFailed.message);
    return { reference: row.id };
  }

  /** The network's dispute of a charge, delivered later; keyed by the charge so a retried capture schedules it once. */
  private async scheduleDispute(charge: string, amountMinor: number, currency: string): Promise<void> {
    await new SandboxNetworkRepository(sqlFor(this.options.orm.em.fork())).scheduleDisputeCreated(
      `nev_dispute_${charge}`,
      { charge, amount_minor: amountMinor, currency, reason: 'fraudulent', dispute: `ndp_${charge}` },
      this.options.disputeDelayMs ?? 2000,
    );
  }

  private async requireLiveAuthorization(reference: string, amountMinor: number): Promise<void> {
    const authorization = await this.operations().findAuthorization(reference);
    if (
      !authorization ||
      authorization.outcome !== 'authorized' ||
      authorization.voided ||
      amountMinor > Number(authorization.amount_minor)
    ) {
      throw new GatewayError('AuthorizationExpired', PAYMENT_FAILURES.AuthorizationExpired.message);
    }
  }

  // A fork per call, outside any transaction: each operation is committed on its own, as a real gateway's would be.
  private operations(): SandboxGatewayOperationRepository {
    return new SandboxGatewayOperationRepository(sqlFor(this.options.orm.em.fork()));
  }

  private async answerDelay(
    row: SandboxGatewayOperationRow,
    operation: SandboxOperation,
    idempotencyKey: string,
    timeoutsBeforeAnswer: number,
  ): Promise<void> {
    await this.faults?.afterRecord(operation, idempotencyKey, row.attempts === 1);
    if (this.options.responseDelayMs) await this.sleep(this.options.responseDelayMs);
    if (row.attempts <= timeoutsBeforeAnswer) {
      // The operation is recorded, but the caller never hears back: only the idempotency key saves it from a second charge.
      throw new GatewayError('GatewayTimeout', PAYMENT_FAILURES.GatewayTimeout.message);
    }
  }
}
