import { createHash } from 'node:crypto';
import type { Types } from '@adyen/api-library';
import { CheckoutAPI, Client, EnvironmentEnum } from './adyen-library';
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
  type ModificationStatus,
  type PaymentGateway,
  type RiskLevel,
  type TechnicalCancelRequest,
  type VoidRequest,
  type VoidResult,
} from '../payment-gateway';
import type { AdyenApiBase } from './adyen-api-base';
import { AdyenApiBaseClient } from './adyen-http-client';
import { recognizesAdyenSource } from './adyen-sources';
import {
  authorizationStatusOf,
  classifyAdyenError,
  type AdyenErrorLike,
  type AdyenErrorOutcome,
  type AdyenOperation,
} from './adyen-mapping';
import { authorizeResultOf } from '../authorization-results';

/** A card opened from our vault, for the one call that hands it to Adyen. */
export interface VaultCard {
  number: string;
  expMonth: number;
  expYear: number;
  holderName?: string;
}

export interface AdyenGatewayOptions {
  apiKey: string;
  merchantAccount: string;
  livemode: boolean;
  /** The live Checkout endpoint's prefix (`1797a841fbb37ca7-AdyenDemo`); required in live mode. */
  liveUrlPrefix?: string;
  /** Our Adyen fake; unset means Adyen itself. */
  apiBase?: AdyenApiBase;
  /** Per request (default 10 s); a timed-out request is an unknown outcome, never a decline. */
  timeoutMs?: number;
  /** Opens a vault token of the merchant's; undefined when it is not theirs or does not exist. */
  openCard?: (merchantId: string, tokenId: string) => Promise<VaultCard | undefined>;
  /** Which sources are our vault's tokens (default: the vault's id shape). */
  isVaultToken?: (source: string) => boolean;
  /** What a notification already told us about a payment, for status sync (Checkout has no "get payment"). */
  notifiedAuthorization?: (lookup: AuthorizationLookup) => Promise<AuthorizationStatus | undefined>;
  /** What a notification told us of a capture or cancel, by its pspReference. */
  notifiedModification?: (pspReference: string) => Promise<ModificationStatus>;
  /** What a notification told us of a refund, by its pspReference. */
  notifiedRefund?: (pspReference: string) => Promise<GatewayRefundStatus>;
}

/** A capture, cancel or refund Adyen accepted: it only answers `received`; the notification (CAPTURE, CANCELLATION, REFUND) settles it. */
export interface AdyenModification {
  /** The payment's pspReference. */
  reference: string;
  /** The modification's own pspReference, which its notification carries. */
  modificationReference: string;
  status: 'received';
}

/** Adyen's limit on the Idempotency-Key header. */
export const ADYEN_IDEMPOTENCY_KEY_MAX = 64;

/**
 * Our idempotency key as Adyen takes it. Keys up to 64 characters pass unchanged; a longer one is
 * replaced by a stable digest of it (`lf_` + base64url SHA-256, 46 characters), so every retry of the
 * same step still sends the same key and two different keys stay different.
 */
export function adyenIdempotencyKey(key: string): string {
  if (key.length <= ADYEN_IDEMPOTENCY_KEY_MAX) return key;
  return `lf_${createHash('sha256').update(key).digest('base64url')}`;
}

const DEFAULT_TIMEOUT_MS = 10_000;
// Adyen requires a returnUrl on /payments; server-side card payments without 3-D Secure never visit it.
const FALLBACK_RETURN_URL = 'https://localhost/adyen/return';

export { recognizesAdyenSource };

/**
 * The Adyen adapter for one account. Stateless: every call is one Checkout request through the
 * library's own API classes under our idempotency key. Modifications answer only `received`; their
 * outcome arrives as a notification the workflow waits for.
 */
export class AdyenGateway implements PaymentGateway {
  readonly name = 'adyen';
  readonly livemode: boolean;
  private readonly checkout: CheckoutAPI;
  private readonly isVaultToken: (source: string) => boolean;

  constructor(private readonly options: AdyenGatewayOptions) {
    if (options.livemode && !options.liveUrlPrefix && !options.apiBase)
      throw new Error('A live-mode Adyen account needs its live URL prefix');
    this.livemode = options.livemode;
    this.isVaultToken = options.isVaultToken ?? ((source) => VAULT_TOKEN_ID.test(source));
    // With a base set, the library builds its test-environment URLs, whose paths (/v72/...) the base client keeps.
    const live = options.livemode && !options.apiBase;
    const client = new Client(
      {
        apiKey: options.apiKey,
        environment: live ? EnvironmentEnum.LIVE : EnvironmentEnum.TEST,
        ...(live ? { liveEndpointUrlPrefix: options.liveUrlPrefix } : {}),
        connectionTimeoutMillis: options.timeoutMs ?? DEFAULT_TIMEOUT_MS,
        applicationName: 'Ledgerflow',
      },
      options.apiBase ? new AdyenApiBaseClient(options.apiBase) : undefined,
    );
    this.checkout = new CheckoutAPI(client);
  }

  recognizesSource(source: string): boolean {
    return recognizesAdyenSource(source, this.isVaultToken, this.options.openCard !== undefined);
  }

  // Adyen's risk engine scores a payment while authorizing it; nothing about a bare source is ours to read beforehand.
  riskLevel(): Promise<RiskLevel> {
    return Promise.resolve('normal');
  }

  async authorize(request: AuthorizeRequest): Promise<AuthorizeResult> {
    const paymentMethod = await this.cardFor(request);
    const body: Types.checkout.PaymentRequest = {
      merchantAccount: this.options.merchantAccount,
      reference: request.paymentId,
      amount: { value: request.amountMinor, currency: request.currency.toUpperCase() },
      paymentMethod,
      returnUrl: request.returnUrl ?? FALLBACK_RETURN_URL,
      shopperInteraction: 'Ecommerce' as Types.checkout.PaymentRequest.ShopperInteractionEnum,
      // Manual capture per payment, whatever the account's capture delay; a sale is captured at once.
      ...(request.capture ? { captureDelayHours: 0 } : { additionalData: { manualCapture: 'true' } }),
    };
    const answer = await this.attempt('authorize', () =>
      this.checkout.PaymentsApi.payments(body, { idempotencyKey: adyenIdempotencyKey(request.idempotencyKey) }),
    );
    if (!answer.ok) {
      // The charge may have happened: the workflow runs status sync (or a technical cancel) instead of trying blindly.
      if (answer.outcome.kind === 'unknown') throw new GatewayError('GatewayOutcomeUnknown', answer.outcome.message);
      throw new GatewayError(answer.outcome.failureType, answer.outcome.message);
    }
    return authorizeResultOf(authorizationStatusOf(answer.value, { capture: request.capture, amountMinor: request.amountMinor }), 'Adyen');
  }

  /** `received` only: the CAPTURE (or CAPTURE_FAILED) notification says whether the money moved. */
  async capture(request: GatewayCaptureRequest): Promise<GatewayCaptureResult & AdyenModification> {
    const answer = await this.modify('capture', () =>
      this.checkout.ModificationsApi.captureAuthorisedPayment(
        request.reference,
        { merchantAccount: this.options.merchantAccount, amount: this.amount(request), reference: request.idempotencyKey.slice(0, 80) },
        { idempotencyKey: adyenIdempotencyKey(request.idempotencyKey) },
      ),
    );
    return {
      reference: request.reference,
      capturedMinor: request.amountMinor,
      modificationReference: answer.pspReference,
      status: 'received',
    };
  }

  /** `received` only: the CANCELLATION notification says whether the authorization was released. */
  async void(request: VoidRequest): Promise<VoidResult & AdyenModification> {
    const answer = await this.modify('void', () =>
      this.checkout.ModificationsApi.cancelAuthorisedPaymentByPspReference(
        request.reference,
        { merchantAccount: this.options.merchantAccount, reference: request.idempotencyKey.slice(0, 80) },
        { idempotencyKey: adyenIdempotencyKey(request.idempotencyKey) },
      ),
    );
    return { reference: request.reference, modificationReference: answer.pspReference, status: 'received' };
  }

  /** Pending until the REFUND (or REFUND_FAILED) notification; the refund's own pspReference is its reference. */
  async refund(request: GatewayRefundRequest): Promise<GatewayRefundResult> {
    const answer = await this.modify('refund', () =>
      this.checkout.ModificationsApi.refundCapturedPayment(
        request.reference,
        { merchantAccount: this.options.merchantAccount, amount: this.amount(request), reference: request.idempotencyKey.slice(0, 80) },
        { idempotencyKey: adyenIdempotencyKey(request.idempotencyKey) },
      ),
    );
    return { reference: answer.pspReference, status: 'pending' };
  }

  /**
   * Technical cancel of an authorization whose answer never came (so no pspReference is known): Adyen
   * cancels the payment with our reference if it exists, and does nothing otherwise. The CANCELLATION
   * notification (or the AUTHORISATION one) tells what there was.
   */
  async cancelUnknownAuthorization(request: TechnicalCancelRequest): Promise<AdyenModification> {
    const answer = await this.modify('cancel', () =>
      this.checkout.ModificationsApi.cancelAuthorisedPayment(
        {
          merchantAccount: this.options.merchantAccount,
          paymentReference: request.paymentId,
          reference: request.idempotencyKey.slice(0, 80),
        },
        { idempotencyKey: adyenIdempotencyKey(request.idempotencyKey) },
      ),
    );
    return { reference: request.paymentId, modificationReference: answer.pspReference, status: 'received' };
  }

  /**
   * Status sync. Checkout has no "get payment": the outcome of a lost /payments answer reaches us only
   * as the AUTHORISATION notification, so this reports what a notification told us, else pending
   * (never not_found: Adyen has no way to say it never saw the request, and resending could charge twice).
   */
  async lookupAuthorization(request: AuthorizationLookup): Promise<AuthorizationStatus> {
    const notified = this.options.notifiedAuthorization ? await this.options.notifiedAuthorization(request) : undefined;
    return notified ?? { outcome: 'pending', reference: request.reference };
  }

  /** A refund's outcome arrives only as a notification (REFUND / REFUND_FAILED); Checkout cannot be asked. */
  async lookupRefund(reference: string): Promise<GatewayRefundStatus> {
    return this.options.notifiedRefund ? this.options.notifiedRefund(reference) : { reference, status: 'pending' };
  }

  /** A capture's or cancel's outcome arrives only as a notification (CAPTURE, CAPTURE_FAILED, CANCELLATION). */
  async lookupModification(reference: string): Promise<ModificationStatus> {
    return this.options.notifiedModification ? this.options.notifiedModification(reference) : 'pending';
  }

  private amount(request: { amountMinor: number; currency: string }): Types.checkout.Amount {
    return { value: request.amountMinor, currency: request.currency.toUpperCase() };
  }

  /** The scheme card to send: a vault token opened here, inside the activity, and nowhere else. */
  private async cardFor(request: AuthorizeRequest): Promise<Types.checkout.CardDetails> {
    if (!this.isVaultToken(request.source)) throw new GatewayError('InvalidSource', 'Adyen cannot charge this source');
    const opened =
      this.options.openCard && request.merchantId ? await this.options.openCard(request.merchantId, request.source) : undefined;
    if (!opened) throw new GatewayError('InvalidSource', 'The vault token cannot be charged through Adyen');
    return {
      type: 'scheme' as Types.checkout.CardDetails.TypeEnum,
      number: opened.number,
      expiryMonth: String(opened.expMonth).padStart(2, '0'),
      expiryYear: String(opened.expYear),
      ...(opened.holderName ? { holderName: opened.holderName } : {}),
    };
  }

  /** One modification: `received` or an error. An answer that never came is retried by Temporal under the same key, which Adyen replays. */
  private async modify<T extends { pspReference: string }>(operation: AdyenOperation, call: () => Promise<T>): Promise<T> {
    const answer = await this.attempt(operation, call);
    if (answer.ok) return answer.value;
    if (answer.outcome.kind === 'unknown')
      throw new GatewayError(
        'GatewayTimeout',
        `The ${operation} is not confirmed by Adyen yet (${answer.outcome.message}); it is retried under the same key`,
      );
    throw new GatewayError(answer.outcome.failureType, answer.outcome.message);
  }

  /** Runs one library call; its error never leaves as is (it carries request details), only as our classification. */
  private async attempt<T>(
    operation: AdyenOperation,
    call: () => Promise<T>,
  ): Promise<{ ok: true; value: T } | { ok: false; outcome: AdyenErrorOutcome }> {
    try {
      return { ok: true, value: await call() };
    } catch (error) {
      if (error instanceof GatewayError) throw error;
      return { ok: false, outcome: classifyAdyenError((error ?? {}) as AdyenErrorLike, operation, [this.options.apiKey]) };
    }
  }
}
