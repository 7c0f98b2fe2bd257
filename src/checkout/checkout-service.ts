import { randomBytes } from 'node:crypto';
import type { MikroORM } from '@mikro-orm/postgresql';
import type { Client, WorkflowHandle } from '@temporalio/client';
import { sqlFor } from '../db/sql';
import { claimIdempotencyKey, type IdempotencyContext } from '../idempotency/idempotency-keys';
import type { Merchant } from '../merchants/merchant-record';
import { CustomerRepository } from '../customers/customer-repository';
import { ApiError, apiErrors } from '../shared/api-error';
import { newId } from '../shared/ids';
import { formatMinor } from '../shared/money';
import { apiTimestamp } from '../shared/timestamps';
import { openSecret, sealSecret } from '../vault/sealed-secrets';
import type { SecretKeys } from '../webhooks/webhook-secrets';
import { startOrJoin } from '../temporal/entity-workflows';
import { sendCommand } from '../temporal/workflow-failures';
import { AmountMinorKey, CurrencyKey, MerchantIdKey } from '../temporal/search-attributes';
import { checkoutWorkflow, expireCheckoutUpdate } from '../../workflows/checkout-workflow';
import type { CheckoutSessionRecord } from './checkout-record';
import { CheckoutRepository } from './checkout-repository';
import type { CreateCheckoutSessionRequest } from './checkout-schemas';
import { newCheckoutSigningSecret } from './checkout-signature';
import { checkoutWorkflowId, initialCheckoutState, type CheckoutWorkflowInput } from './checkout-state';
import { checkoutPageUrl, renderCheckoutSession, type CheckoutSessionJson } from './checkout-view';

export interface CheckoutServiceDeps {
  orm: MikroORM;
  temporal: Client;
  taskQueue: string;
  /** The base of the page's address (PUBLIC_URL). */
  publicUrl: string;
  /** Seals the merchants' checkout signing secrets; without keys there is no checkout (cards need the vault too). */
  vaultKeys?: SecretKeys;
  actionTimeoutMs: number;
}

/** The associated data a merchant's sealed signing secret is bound to. */
function signingSecretBinding(merchantId: string): string {
  return `${merchantId}:checkout_signing_secret`;
}

/** Checkout sessions as merchants create, read and expire them; the page's side is CheckoutPageService. */
export class CheckoutService {
  constructor(private readonly deps: CheckoutServiceDeps) {}

  /**
   * A new open session and its workflow (or, for a repeated Idempotency-Key, the first one).
   * @throws 400 url_invalid (success_url, cancel_url), 400 resource_missing (customer), 409 idempotency_key_in_use, 422 idempotency_key_reused, 503 checkout_unavailable, 503 engine_unavailable
   */
  async create(merchant: Merchant, request: CreateCheckoutSessionRequest, idempotency?: IdempotencyContext): Promise<CheckoutSessionJson> {
    this.keys();
    checkRedirectUrl(request.successUrl, 'success_url', merchant.livemode);
    checkRedirectUrl(request.cancelUrl, 'cancel_url', merchant.livemode);
    let customerEmail = request.customerEmail;
    if (request.customerId) {
      const customer = await new CustomerRepository(sqlFor(this.deps.orm.em.fork())).findForMerchant(merchant.id, request.customerId);
      if (!customer) throw apiErrors.noSuch('customer', request.customerId, 'customer');
      customerEmail ??= customer.email;
    }
    let id = newId('cs');
    let createdAt = new Date();
    if (idempotency) {
      const claim = await claimIdempotencyKey(this.deps.orm.em.fork(), {
        merchantId: merchant.id,
        key: idempotency.key,
        method: idempotency.method,
        path: idempotency.path,
        request,
        newResourceId: id,
        now: createdAt,
      });
      id = claim.resourceId;
      createdAt = claim.createdAt;
    }
    const input: CheckoutWorkflowInput = {
      sessionId: id,
      merchantId: merchant.id,
      amountMinor: request.amountMinor,
      currency: request.currency,
      description: request.description,
      customerId: request.customerId,
      customerEmail,
      captureMethod: request.captureMethod,
      metadata: request.metadata,
      expiresAt: new Date(createdAt.getTime() + request.expiresInSeconds * 1000).toISOString(),
      createdAt: createdAt.toISOString(),
      returnUrl: `${checkoutPageUrl(this.deps.publicUrl, id)}/return`,
      actionTimeoutMs: this.deps.actionTimeoutMs,
    };
    const state = initialCheckoutState(input);
    // The row comes first: the page may be opened the moment the answer arrives.
    await this.repository().insertIfAbsent({
      id,
      merchantId: merchant.id,
      livemode: merchant.livemode,
      amountMinor: input.amountMinor,
      currency: input.currency,
      description: input.description,
      customerId: input.customerId,
      customerEmail: input.customerEmail,
      successUrl: request.successUrl,
      cancelUrl: request.cancelUrl,
      captureMethod: input.captureMethod,
      metadata: input.metadata,
      status: state.status,
      paymentStatus: state.paymentStatus,
      paymentId: null,
      payment: null,
      attempts: 0,
      formSecret: randomBytes(32).toString('base64url'),
      expiresAt: new Date(input.expiresAt),
      completedAt: null,
      expiredAt: null,
      version: state.version,
      createdAt,
      updatedAt: createdAt,
    });
    await startOrJoin(this.deps.temporal, checkoutWorkflow, {
      workflowId: checkoutWorkflowId(id),
      taskQueue: this.deps.taskQueue,
      input,
      searchAttributes: [
        { key: MerchantIdKey, value: merchant.id },
        { key: AmountMinorKey, value: input.amountMinor },
        { key: CurrencyKey, value: input.currency },
      ],
      summary: `${input.currency} ${formatMinor(input.amountMinor, input.currency)} checkout for merchant ${merchant.id}`,
      details: `Checkout session ${id}, open until ${input.expiresAt}${input.description ? `: ${input.description}` : ''}`,
    });
    return this.get(merchant, id);
  }

  /** @throws 404 resource_missing */
  async get(merchant: Merchant, id: string): Promise<CheckoutSessionJson> {
    return renderCheckoutSession(await this.findOrThrow(merchant.id, id), this.deps.publicUrl);
  }

  /** @throws 400 resource_missing (starting_after) */
  async list(
    merchant: Merchant,
    query: { limit: number; startingAfter?: string; status?: string },
  ): Promise<{ data: CheckoutSessionJson[]; hasMore: boolean }> {
    if (query.startingAfter && !(await this.repository().findForMerchant(merchant.id, query.startingAfter)))
      throw apiErrors.noSuch('checkout session', query.startingAfter);
    const page = await this.repository().listForMerchant(merchant.id, query);
    return { data: page.data.map((session) => renderCheckoutSession(session, this.deps.publicUrl)), hasMore: page.hasMore };
  }

  /**
   * Ends an open session now; the page refuses the form from then on. An expired session answers as it is.
   * @throws 404 resource_missing, 409 checkout_session_unexpected_state, 409 checkout_payment_in_progress, 503 engine_unavailable
   */
  async expire(merchant: Merchant, id: string, updateId?: string): Promise<CheckoutSessionJson> {
    await this.findOrThrow(merchant.id, id);
    const conflict = async () => {
      const now = await this.findOrThrow(merchant.id, id);
      return new ApiError(409, `The checkout session is ${now.status} and cannot be expired`, 'checkout_session_unexpected_state', 'id', {
        status: now.status,
      });
    };
    try {
      await sendCommand(
        {
          CheckoutSessionNotOpen: conflict,
          CheckoutPaymentInProgress: () =>
            new ApiError(
              409,
              'The checkout session has a payment being decided; retrieve it for the outcome',
              'checkout_payment_in_progress',
            ),
          WorkflowGone: conflict,
        },
        () => this.handleFor(id).executeUpdate(expireCheckoutUpdate, { updateId }),
      );
    } catch (error) {
      // A session that expired on its own has a closed workflow: expiring it again answers it as it is.
      if (!(error instanceof ApiError && error.details?.status === 'expired')) throw error;
    }
    return this.get(merchant, id);
  }

  /**
   * The merchant's checkout signing secret, made on first use; `roll` replaces it (redirects signed before verify no longer).
   * @throws 503 checkout_unavailable
   */
  async signingSecret(
    merchant: Merchant,
    roll = false,
  ): Promise<{ object: 'checkout.settings'; signing_secret: string; created_at: string }> {
    const keys = this.keys();
    const repository = this.repository();
    let stored = roll ? null : await repository.findSigningSecret(merchant.id);
    if (!stored) {
      const secret = newCheckoutSigningSecret();
      const sealed = sealSecret(keys, secret, signingSecretBinding(merchant.id));
      stored = await repository.saveSigningSecret(
        { merchantId: merchant.id, keyId: sealed.keyId, ciphertext: sealed.ciphertext, last4: secret.slice(-4), createdAt: new Date() },
        roll,
      );
    }
    return {
      object: 'checkout.settings',
      signing_secret: openSecret(keys, { keyId: stored.keyId, ciphertext: stored.ciphertext }, signingSecretBinding(merchant.id)),
      created_at: apiTimestamp(stored.createdAt),
    };
  }

  private keys(): SecretKeys {
    if (!this.deps.vaultKeys)
      throw ApiError.unavailable(
        'Checkout needs the card vault (the page tokenizes cards, and signing secrets are sealed with its keys); none are configured (CARD_VAULT_KEYS, CARD_FINGERPRINT_KEY)',
        'checkout_unavailable',
      );
    return this.deps.vaultKeys;
  }

  private repository(): CheckoutRepository {
    return new CheckoutRepository(sqlFor(this.deps.orm.em.fork()));
  }

  private handleFor(id: string): WorkflowHandle<typeof checkoutWorkflow> {
    return this.deps.temporal.workflow.getHandle<typeof checkoutWorkflow>(checkoutWorkflowId(id));
  }

  private async findOrThrow(merchantId: string, id: string): Promise<CheckoutSessionRecord> {
    const session = await this.repository().findForMerchant(merchantId, id);
    if (!session) throw apiErrors.notFound('Checkout session');
    return session;
  }
}

/** A redirect target: absolute http(s), no credentials, https in live mode. The browser, not our server, follows it. */
export function checkRedirectUrl(raw: string, param: string, livemode: boolean): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw ApiError.badRequest(`Invalid ${param}: must be an absolute http(s) URL`, 'url_invalid', param);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:')
    throw ApiError.badRequest(`Invalid ${param}: must use https (or http in test mode)`, 'url_invalid', param);
  if (url.username || url.password) throw ApiError.badRequest(`Invalid ${param}: must not contain credentials`, 'url_invalid', param);
  if (livemode && url.protocol !== 'https:') throw ApiError.badRequest(`Invalid ${param}: live mode requires https`, 'url_invalid', param);
  return url;
}
