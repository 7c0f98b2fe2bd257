import Stripe from 'stripe';
import { recognizesStripeSource } from './stripe-sources';
import { VAULT_TOKEN_ID } from '../../vault/card-token-record';
import {
  GatewayError,
  type AuthorizationLookup,
  type AuthorizationStatus,
  type AuthorizeRequest,
  type AuthorizeResult,
  type GatewayCaptureRequest,
  type GatewayCaptureResult,
  type GatewayRefundRequest,
  type GatewayRefundResult,
  type GatewayRefundStatus,
  type PaymentGateway,
  type RiskLevel,
  type VoidRequest,
  type VoidResult,
} from '../payment-gateway';
import type { StripeApiBase } from './stripe-api-base';
import {
  authorizationStatusOf,
  classifyStripeError,
  PAYMENT_ID_METADATA,
  REFUND_KEY_METADATA,
  type StripeErrorLike,
  type StripeErrorOutcome,
  type StripeOperation,
} from './stripe-mapping';
import { authorizeResultOf } from '../authorization-results';

/** A card opened from our vault, for the one call that hands it to Stripe. */
export interface VaultCard {
  number: string;
  expMonth: number;
  expYear: number;
}

export interface StripeGatewayOptions {
  secretKey: string;
  livemode: boolean;
  /** stripe-mock or our Stripe fake; unset means Stripe itself. */
  apiBase?: StripeApiBase;
  /** Per request (default 10 s); a timed-out request is an unknown outcome, never a decline. */
  timeoutMs?: number;
  /** Opens a vault token of the merchant's; undefined when it is not theirs or does not exist. */
  openCard?: (merchantId: string, tokenId: string) => Promise<VaultCard | undefined>;
  /** Which sources are our vault's tokens (default: the vault's id shape). */
  isVaultToken?: (source: string) => boolean;
}

type Attempt<T> = { ok: true; value: T } | { ok: false; outcome: StripeErrorOutcome; code?: string };

const DEFAULT_TIMEOUT_MS = 10_000;

export { recognizesStripeSource };

/**
 * The Stripe adapter for one account's key. Stateless: every call is one Stripe request (or two)
 * under our idempotency key, and an answer that never came is resolved here by status sync for
 * capture, void and refund, or handed to the workflow's lookup loop for authorize.
 */
export class StripeGateway implements PaymentGateway {
  readonly name = 'stripe';
  readonly livemode: boolean;
  private readonly stripe: Stripe;
  private readonly isVaultToken: (source: string) => boolean;

  constructor(private readonly options: StripeGatewayOptions) {
    const keyIsLive = /^(sk|rk)_live_/.test(options.secretKey);
    if (keyIsLive !== options.livemode)
      throw new Error(
        `The Stripe key is a ${keyIsLive ? 'live' : 'test'}-mode key but the account is ${options.livemode ? 'live' : 'test'}`,
      );
    this.livemode = options.livemode;
    this.isVaultToken = options.isVaultToken ?? ((source) => VAULT_TOKEN_ID.test(source));
    this.stripe = new Stripe(options.secretKey, {
      // Our workflows own retries: a retry here would hide an unknown outcome from status sync.
      maxNetworkRetries: 0,
      timeout: options.timeoutMs ?? DEFAULT_TIMEOUT_MS,
      telemetry: false,
      appInfo: { name: 'Ledgerflow' },
      ...(options.apiBase ?? {}),
    });
  }

  recognizesSource(source: string): boolean {
    return recognizesStripeSource(source, this.isVaultToken, this.options.openCard !== undefined);
  }

  // Stripe Radar scores a payment while confirming it; nothing about a bare source is ours to read beforehand.
  riskLevel(): Promise<RiskLevel> {
    return Promise.resolve('normal');
  }

  async authorize(request: AuthorizeRequest): Promise<AuthorizeResult> {
    const paymentMethod = await this.paymentMethodFor(request);
    const params: Stripe.PaymentIntentCreateParams = {
      amount: request.amountMinor,
      currency: request.currency.toLowerCase(),
      capture_method: request.capture ? 'automatic' : 'manual',
      confirm: true,
      payment_method: paymentMethod,
      // Cards only: with Stripe's automatic payment methods, confirming without a return_url fails for redirect-based methods.
      allowed_payment_method_types: ['card'],
      metadata: { [PAYMENT_ID_METADATA]: request.paymentId },
      ...(request.returnUrl ? { return_url: request.returnUrl } : {}),
    };
    const created = await this.attempt('authorize', () =>
      this.stripe.paymentIntents.create(params, { idempotencyKey: request.idempotencyKey }),
    );
    if (!created.ok) {
      // The charge may have happened: the workflow looks it up by our payment id instead of trying blindly.
      if (created.outcome.kind === 'unknown') throw new GatewayError('GatewayOutcomeUnknown', created.outcome.message);
      throw new GatewayError(created.outcome.failureType, created.outcome.message);
    }
    return authorizeResultOf(authorizationStatusOf(created.value), 'Stripe');
  }

  async capture(request: GatewayCaptureRequest): Promise<GatewayCaptureResult> {
    const captured = (intent: Stripe.PaymentIntent): GatewayCaptureResult | undefined =>
      intent.status === 'succeeded' ? { reference: intent.id, capturedMinor: intent.amount_received } : undefined;
    return this.settle(
      'capture',
      () =>
        this.stripe.paymentIntents.capture(
          request.reference,
          { amount_to_capture: request.amountMinor },
          { idempotencyKey: request.idempotencyKey },
        ),
      captured,
      async () => {
        const intent = await this.attempt('lookup', () => this.stripe.paymentIntents.retrieve(request.reference));
        return intent.ok ? captured(intent.value) : undefined;
      },
    );
  }

  async void(request: VoidRequest): Promise<VoidResult> {
    const canceled = (intent: Stripe.PaymentIntent): VoidResult | undefined =>
      intent.status === 'canceled' ? { reference: intent.id } : undefined;
    return this.settle(
      'void',
      () => this.stripe.paymentIntents.cancel(request.reference, {}, { idempotencyKey: request.idempotencyKey }),
      canceled,
      async () => {
        const intent = await this.attempt('lookup', () => this.stripe.paymentIntents.retrieve(request.reference));
        return intent.ok ? canceled(intent.value) : undefined;
      },
    );
  }

  async refund(request: GatewayRefundRequest): Promise<GatewayRefundResult> {
    const accepted = (refund: Stripe.Refund): GatewayRefundResult => {
      // A card refund is `pending` until the network settles it; a later failure arrives as charge.refund.updated.
      if (refund.status === 'failed' || refund.status === 'canceled')
        throw new GatewayError(
          'RefundFailed',
          `Stripe refund ${refund.id} is ${refund.status}${refund.failure_reason ? ` (${refund.failure_reason})` : ''}`,
        );
      return refund.status === 'succeeded' ? { reference: refund.id } : { reference: refund.id, status: 'pending' };
    };
    return this.settle(
      'refund',
      () =>
        this.stripe.refunds.create(
          { payment_intent: request.reference, amount: request.amountMinor, metadata: { [REFUND_KEY_METADATA]: request.idempotencyKey } },
          { idempotencyKey: request.idempotencyKey },
        ),
      accepted,
      async () => {
        const refunds = await this.attempt('lookup', () =>
          this.stripe.refunds.list({ payment_intent: request.reference, limit: 100 }).autoPagingToArray({ limit: 1000 }),
        );
        const ours = refunds.ok
          ? refunds.value.find((refund) => refund.metadata?.[REFUND_KEY_METADATA] === request.idempotencyKey)
          : undefined;
        return ours ? accepted(ours) : undefined;
      },
    );
  }

  /** A pending refund's status now: Stripe's `pending` and `requires_action` stay pending, `failed` and `canceled` failed. */
  async lookupRefund(reference: string): Promise<GatewayRefundStatus> {
    const refund = await this.attempt('lookup', () => this.stripe.refunds.retrieve(reference));
    if (!refund.ok) throw lookupFailure(refund.outcome);
    const status = refund.value.status;
    return {
      reference,
      status: status === 'succeeded' ? 'succeeded' : status === 'failed' || status === 'canceled' ? 'failed' : 'pending',
    };
  }

  /**
   * Our payment id on a PaymentIntent (its metadata), or null for one made without us; throws when Stripe cannot be asked.
   * The events receiver uses it to tell "ours, not recorded yet" (retry later) from "not ours" (ignore).
   */
  async paymentIdOf(paymentIntentId: string): Promise<string | null> {
    const intent = await this.attempt('lookup', () => this.stripe.paymentIntents.retrieve(paymentIntentId));
    if (intent.ok) return intent.value.metadata?.[PAYMENT_ID_METADATA] ?? null;
    if (intent.code === 'resource_missing') return null;
    throw lookupFailure(intent.outcome);
  }

  /** Status sync for an authorization whose answer never came: by its PaymentIntent id, else by our payment id in the metadata. */
  async lookupAuthorization(request: AuthorizationLookup): Promise<AuthorizationStatus> {
    if (request.reference) {
      const reference = request.reference;
      const intent = await this.attempt('lookup', () => this.stripe.paymentIntents.retrieve(reference));
      if (intent.ok) return authorizationStatusOf(intent.value);
      if (intent.code === 'resource_missing') return { outcome: 'not_found' };
      throw lookupFailure(intent.outcome);
    }
    const query = `metadata['${PAYMENT_ID_METADATA}']:'${escapeSearchValue(request.paymentId)}'`;
    const found = await this.attempt('lookup', () => this.stripe.paymentIntents.search({ query, limit: 10 }));
    if (!found.ok) throw lookupFailure(found.outcome);
    // Search is eventually consistent (about a minute), so not_found can be early; that is safe because
    // the workflow then resends under the same key and Stripe replays the first answer if there was one.
    const statuses = found.value.data
      .filter((intent) => intent.metadata?.[PAYMENT_ID_METADATA] === request.paymentId)
      .map((intent) => authorizationStatusOf(intent))
      .sort((a, b) => OUTCOME_RANK[a.outcome] - OUTCOME_RANK[b.outcome]);
    return statuses[0] ?? { outcome: 'not_found' };
  }

  /** The PaymentMethod to confirm with: a pm_ id as is; a vault card or a Stripe token turned into one under `<key>:payment_method`. */
  private async paymentMethodFor(request: AuthorizeRequest): Promise<string> {
    const { source } = request;
    if (source.startsWith('pm_')) return source;
    let card: Stripe.PaymentMethodCreateParams.Card;
    if (this.isVaultToken(source)) {
      const opened = this.options.openCard && request.merchantId ? await this.options.openCard(request.merchantId, source) : undefined;
      if (!opened) throw new GatewayError('InvalidSource', 'The vault token cannot be charged through Stripe');
      card = { number: opened.number, exp_month: opened.expMonth, exp_year: opened.expYear };
    } else if (this.recognizesSource(source)) {
      card = { token: source };
    } else {
      throw new GatewayError('InvalidSource', 'Stripe cannot charge this source');
    }
    const created = await this.attempt('authorize', () =>
      this.stripe.paymentMethods.create({ type: 'card', card }, { idempotencyKey: `${request.idempotencyKey}:payment_method` }),
    );
    if (created.ok) return created.value.id;
    // Nothing can have been charged yet, so the same key is simply sent again.
    if (created.outcome.kind === 'unknown') throw new GatewayError('GatewayTimeout', created.outcome.message);
    throw new GatewayError(created.outcome.failureType, created.outcome.message);
  }

  /**
   * One capture, void or refund: success as soon as Stripe shows it done, else status sync; a business
   * refusal stands only if sync does not find the operation already done (a retry after Stripe forgot
   * our key, 24 h on), and anything still open is retried by Temporal under the same key.
   */
  private async settle<R, T>(
    operation: StripeOperation,
    call: () => Promise<R>,
    done: (answer: R) => T | undefined,
    sync: () => Promise<T | undefined>,
  ): Promise<T> {
    const answer = await this.attempt(operation, call);
    if (answer.ok) {
      const result = done(answer.value);
      if (result !== undefined) return result;
    } else if (answer.outcome.kind === 'failed' && answer.outcome.failureType === 'GatewayRateLimited') {
      throw new GatewayError('GatewayRateLimited', answer.outcome.message);
    }
    const synced = await sync();
    if (synced !== undefined) return synced;
    if (!answer.ok && answer.outcome.kind === 'failed') throw new GatewayError(answer.outcome.failureType, answer.outcome.message);
    const why = answer.ok ? 'Stripe has not finished it' : answer.outcome.message;
    throw new GatewayError('GatewayTimeout', `The ${operation} is not confirmed by Stripe yet (${why}); it is retried under the same key`);
  }

  /** Runs one SDK call; its error never leaves as is (the SDK's errors carry request details), only as our classification. */
  private async attempt<T>(operation: StripeOperation, call: () => Promise<T>): Promise<Attempt<T>> {
    try {
      return { ok: true, value: await call() };
    } catch (error) {
      if (error instanceof GatewayError) throw error;
      const stripeError = (error ?? {}) as StripeErrorLike;
      return { ok: false, outcome: classifyStripeError(stripeError, operation), code: stripeError.code };
    }
  }
}

const OUTCOME_RANK: Record<AuthorizationStatus['outcome'], number> = {
  captured: 0,
  authorized: 1,
  requires_action: 2,
  pending: 3,
  declined: 4,
  canceled: 5,
  not_found: 6,
};

/** A lookup is a read: any failure to read is retried by Temporal, a rate limit after its backoff. */
function lookupFailure(outcome: StripeErrorOutcome): GatewayError {
  if (outcome.kind === 'failed' && outcome.failureType === 'GatewayMisconfigured')
    return new GatewayError('GatewayMisconfigured', outcome.message);
  if (outcome.kind === 'failed' && outcome.failureType === 'GatewayRateLimited')
    return new GatewayError('GatewayRateLimited', outcome.message);
  return new GatewayError('GatewayTimeout', outcome.message);
}

function escapeSearchValue(value: string): string {
  return value.replace(/[\\']/g, (character) => `\\${character}`);
}
