import type { PaymentFailureType } from '../shared/failure-types';

/**
 * What every gateway adapter implements. Each call carries an idempotency key derived from the
 * payment and the step (`pay_x:authorize`, `pay_x:capture`), never one key for two operations,
 * so a retried activity returns the gateway's first answer instead of charging again.
 */
export interface PaymentGateway {
  readonly name: string;
  /** Moves real money, so it may serve live-mode merchants; absent or false: test mode only (the sandbox). */
  readonly livemode?: boolean;
  /** Whether this gateway can charge the source at all; unknown sources are refused before any workflow starts. */
  recognizesSource(source: string): boolean;
  /** The gateway's risk signal for a source, fed into our fraud rules. */
  riskLevel(source: string): Promise<RiskLevel>;
  authorize(request: AuthorizeRequest): Promise<AuthorizeResult>;
  capture(request: GatewayCaptureRequest): Promise<GatewayCaptureResult>;
  void(request: VoidRequest): Promise<VoidResult>;
  /** Returns captured money to the card, under the refund's own key (never the charge's). */
  refund(request: GatewayRefundRequest): Promise<GatewayRefundResult>;
  /**
   * Status sync: what the gateway did with an authorization whose answer never came, found by our
   * idempotency key or payment id. Gateways whose retries under the same key are always safe (the
   * sandbox) may omit it; the workflow then relies on retrying the same key.
   */
  lookupAuthorization?(request: AuthorizationLookup): Promise<AuthorizationStatus>;
  /**
   * Cancels, by our payment id, an authorization whose answer never came (Adyen's technical cancel): the
   * gateway cancels it if it exists, or whenever it lands. Its outcome arrives like any other, through
   * lookupAuthorization. Gateways whose status sync can always answer omit it.
   */
  cancelUnknownAuthorization?(request: TechnicalCancelRequest): Promise<{ modificationReference: string }>;
  /** What became of a capture or cancel the gateway only `received`, by its modification reference. */
  lookupModification?(reference: string): Promise<ModificationStatus>;
  /** A pending refund's current status, by the gateway's id of it. Gateways whose refunds are final at once omit it. */
  lookupRefund?(reference: string): Promise<GatewayRefundStatus>;
}

export type RiskLevel = 'normal' | 'elevated' | 'highest';

export interface AuthorizeRequest {
  idempotencyKey: string;
  paymentId: string;
  amountMinor: number;
  currency: string;
  source: string;
  /** Authorize and capture in one call (a "sale"). */
  capture: boolean;
  /** Where the customer returns after a redirect (3-D Secure); gateways that need one for redirects get it here. */
  returnUrl?: string;
  /** The merchant, for gateways that load card data from our vault (a vault token is only its merchant's). */
  merchantId?: string;
}

/** What the customer must do before the gateway decides: authenticate (3-D Secure) on a page, or through the gateway's SDK. */
export interface NextAction {
  type: 'redirect_to_url' | 'use_gateway_sdk';
  /** The page to send the customer to (redirect_to_url only). */
  url: string | null;
}

export interface AuthorizeResult {
  /** The gateway's id for the authorization; captures and voids refer to it. */
  reference: string;
  capturedMinor: number;
  /**
   * Absent in answers recorded before gateways could ask for customer action: then `authorized`,
   * or `captured` when `capturedMinor` is positive.
   */
  status?: 'authorized' | 'captured' | 'requires_action';
  /** Set with `requires_action`. */
  nextAction?: NextAction;
}

export interface AuthorizationLookup {
  idempotencyKey: string;
  paymentId: string;
  /** The gateway's id when one was already known (an authorization waiting for customer action). */
  reference: string | null;
  /** Whether the authorization was a sale (captured at once); gateways that report only "authorised" need it. */
  capture?: boolean;
  /** A technical cancel was sent (cancelUnknownAuthorization): its outcome, not an earlier answer, decides. */
  technicalCancelSent?: boolean;
  amountMinor: number;
  currency: string;
}

/**
 * What status sync found. Anything the gateway has not explicitly decided is `pending`; `not_found`
 * means the gateway has no trace of the request, so sending it again under the same key is safe.
 */
export type AuthorizationStatus =
  | { outcome: 'authorized'; reference: string; capturedMinor: 0 }
  | { outcome: 'captured'; reference: string; capturedMinor: number }
  | { outcome: 'requires_action'; reference: string; nextAction: NextAction }
  | { outcome: 'declined'; reference: string | null; failureType: PaymentFailureType }
  | { outcome: 'canceled'; reference: string; failureType?: PaymentFailureType }
  | { outcome: 'pending'; reference: string | null }
  | { outcome: 'not_found' };

export interface GatewayCaptureRequest {
  idempotencyKey: string;
  reference: string;
  amountMinor: number;
  currency: string;
}

export interface GatewayCaptureResult {
  reference: string;
  capturedMinor: number;
  /**
   * `received`: the gateway accepted the capture and decides it later (Adyen); its notification, carrying
   * `modificationReference`, says whether the money moved. Absent: captured.
   */
  status?: 'captured' | 'received';
  modificationReference?: string;
}

export interface VoidRequest {
  idempotencyKey: string;
  reference: string;
  amountMinor: number;
  currency: string;
}

export interface VoidResult {
  reference: string;
  /** `received`: released only once the gateway's notification (carrying `modificationReference`) confirms it. Absent: voided. */
  status?: 'voided' | 'received';
  modificationReference?: string;
}

export type ModificationStatus = 'succeeded' | 'failed' | 'pending';

/** The technical cancel of an authorization whose answer never came: by our payment id, since no gateway reference is known. */
export interface TechnicalCancelRequest {
  idempotencyKey: string;
  paymentId: string;
}

export interface GatewayRefundRequest {
  idempotencyKey: string;
  /** The charge (authorization) being refunded. */
  reference: string;
  amountMinor: number;
  currency: string;
}

export interface GatewayRefundResult {
  reference: string;
  /** `pending`: the gateway accepted the refund and settles it later (its event or a lookup says how); absent: succeeded. */
  status?: 'succeeded' | 'pending';
}

/** What the gateway says now of a refund it accepted as pending. */
export interface GatewayRefundStatus {
  reference: string;
  status: 'succeeded' | 'pending' | 'failed';
}

/** A gateway's answer that is not a success: a decline (final) or a transient fault (retried). */
export class GatewayError extends Error {
  constructor(
    readonly failureType: PaymentFailureType,
    message: string,
  ) {
    super(message);
    this.name = 'GatewayError';
  }
}

/** Gateways by name; the payment's `gateway` field picks one. */
export class GatewayRegistry {
  private readonly gateways = new Map<string, PaymentGateway>();

  constructor(
    gateways: PaymentGateway[],
    readonly defaultGateway: string,
  ) {
    for (const gateway of gateways) this.gateways.set(gateway.name, gateway);
    if (!this.gateways.has(defaultGateway)) throw new Error(`Default gateway ${defaultGateway} is not registered`);
  }

  get(name: string): PaymentGateway {
    const gateway = this.gateways.get(name);
    if (!gateway) throw new Error(`Unknown gateway ${name}`);
    return gateway;
  }
}
