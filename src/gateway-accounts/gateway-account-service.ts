import { createHash } from 'node:crypto';
import type { Orm } from '../db/orm';
import { sqlFor } from '../db/sql';
import { CredentialsRejectedError } from '../gateways/gateway-connector';
import type { GatewayConnectors } from '../gateways/gateway-connectors';
import { identityForCreate, type IdempotencyContext } from '../idempotency/idempotency-keys';
import type { Logger } from '../logger';
import type { Merchant } from '../merchants/merchant-record';
import { ApiError, apiErrors } from '../shared/api-error';
import { newId } from '../shared/ids';
import type { GatewayAccountCredentials } from './gateway-account-credentials';
import { DEFAULT_GATEWAY_ACCOUNT_PRIORITY, type GatewayAccountRecord } from './gateway-account-record';
import { GatewayAccountRepository, type GatewayAccountChanges } from './gateway-account-repository';
import type { CreateGatewayAccountBody, UpdateGatewayAccountBody } from './gateway-account-schemas';
import { renderGatewayAccount, type GatewayAccountJson } from './gateway-account-view';

function credentialsDigest(credentials: Record<string, string>): string {
  const sorted = Object.fromEntries(Object.entries(credentials).sort(([a], [b]) => a.localeCompare(b)));
  return createHash('sha256').update(JSON.stringify(sorted)).digest('base64url');
}

export interface GatewayAccountServiceDeps {
  orm: Orm;
  connectors: GatewayConnectors;
  credentials: GatewayAccountCredentials;
  logger: Logger;
}

/** A merchant's gateway accounts: credentials checked, verified with the gateway, and stored only sealed. */
export class GatewayAccountService {
  constructor(private readonly deps: GatewayAccountServiceDeps) {}

  /**
   * Verifies the credentials with one harmless call to the gateway, then stores the account sealed. Refused credentials store nothing.
   * @throws 400 parameter_missing, 400 parameter_invalid, 400 credentials_wrong_mode, 400 livemode_gateway_unavailable, 400 invalid_credentials, 409 idempotency_key_in_use, 422 idempotency_key_reused, 503 gateway_unreachable, 503 card_vault_unavailable
   */
  async create(merchant: Merchant, body: CreateGatewayAccountBody, idempotency?: IdempotencyContext): Promise<GatewayAccountJson> {
    const credentials = await this.verifiedCredentials(merchant, body.gateway, body.credentials, body.currencies);
    // Checked before the Idempotency-Key is claimed, so a deployment without vault keys leaves nothing behind.
    this.deps.credentials.requireKeys();
    const em = this.deps.orm.em.fork();
    // The request as hashed for the Idempotency-Key holds no credential, only a digest of them: a retry with other keys is another request.
    const request = { ...body, credentials: credentialsDigest(credentials.credentials) };
    const { id, createdAt } = await identityForCreate(em, merchant.id, idempotency, request, { id: newId('gwa'), createdAt: new Date() });
    const repository = this.repository();
    const existing = await repository.findForMerchant(merchant.id, id);
    if (existing) return renderGatewayAccount(existing);
    const sealed = this.deps.credentials.seal(id, credentials.credentials);
    const account: GatewayAccountRecord = {
      id,
      merchantId: merchant.id,
      gateway: body.gateway,
      livemode: merchant.livemode,
      status: 'verified',
      currencies: body.currencies ?? [],
      description: body.description ?? null,
      priority: body.priority ?? DEFAULT_GATEWAY_ACCOUNT_PRIORITY,
      credentialsKeyId: sealed.keyId,
      credentialsCiphertext: sealed.ciphertext,
      credentialsLast4: credentials.last4 || null,
      hasWebhookSecret: Boolean(credentials.credentials.webhook_secret ?? credentials.credentials.hmac_key),
      verifiedAt: createdAt,
      disabledAt: null,
      createdAt,
      updatedAt: createdAt,
    };
    await repository.insertIfAbsent(account);
    this.deps.logger.info({ gatewayAccountId: id, merchantId: merchant.id, gateway: body.gateway }, 'gateway account verified and stored');
    return renderGatewayAccount(await this.findOrThrow(merchant, id));
  }

  /**
   * The merchant's gateway account.
   * @throws 404 resource_missing
   */
  async get(merchant: Merchant, id: string): Promise<GatewayAccountJson> {
    return renderGatewayAccount(await this.findOrThrow(merchant, id));
  }

  /**
   * The merchant's gateway accounts, newest first.
   * @throws 400 resource_missing
   */
  async list(merchant: Merchant, limit: number, startingAfter?: string): Promise<{ data: GatewayAccountJson[]; hasMore: boolean }> {
    const repository = this.repository();
    if (startingAfter && !(await repository.findForMerchant(merchant.id, startingAfter)))
      throw apiErrors.noSuch('gateway account', startingAfter);
    const page = await repository.listForMerchant(merchant.id, limit, startingAfter);
    return { data: page.data.map(renderGatewayAccount), hasMore: page.hasMore };
  }

  /**
   * Changes routing settings, enables or disables the account, or replaces its credentials (verified first).
   * @throws 404 resource_missing, 400 parameter_missing, 400 parameter_invalid, 400 credentials_wrong_mode, 400 invalid_credentials, 503 gateway_unreachable, 503 card_vault_unavailable
   */
  async update(merchant: Merchant, id: string, body: UpdateGatewayAccountBody): Promise<GatewayAccountJson> {
    const account = await this.findOrThrow(merchant, id);
    const changes: GatewayAccountChanges = {
      priority: body.priority,
      currencies: body.currencies,
      description: body.description,
      disabled: body.disabled,
    };
    if (body.credentials) {
      const credentials = await this.verifiedCredentials(
        merchant,
        account.gateway,
        body.credentials,
        body.currencies ?? account.currencies,
      );
      const sealed = this.deps.credentials.seal(account.id, credentials.credentials);
      changes.sealedCredentials = {
        keyId: sealed.keyId,
        ciphertext: sealed.ciphertext,
        last4: credentials.last4,
        hasWebhookSecret: Boolean(credentials.credentials.webhook_secret ?? credentials.credentials.hmac_key),
      };
    }
    const updated = await this.repository().update(merchant.id, id, changes, new Date());
    if (!updated) throw apiErrors.notFound('Gateway account');
    return renderGatewayAccount(updated);
  }

  /**
   * Disables the account: no new payments go to it. It is kept, because its payments are refunded, disputed and reported through it.
   * @throws 404 resource_missing
   */
  async disable(merchant: Merchant, id: string): Promise<GatewayAccountJson> {
    await this.findOrThrow(merchant, id);
    return this.update(merchant, id, { disabled: true });
  }

  /** Checks the credentials' shape and mode, then has the gateway verify them. */
  private async verifiedCredentials(
    merchant: Merchant,
    gateway: GatewayAccountRecord['gateway'],
    raw: Record<string, string>,
    currencies: string[] | undefined,
  ): Promise<{ credentials: Record<string, string>; last4: string }> {
    const connector = this.deps.connectors.get(gateway);
    const parsed = connector.parseCredentials(raw, merchant.livemode);
    if (!parsed.ok) {
      if (parsed.missing.length > 0)
        throw apiErrors.missingParameter(
          `credentials.${parsed.missing[0]}`,
          `The following required fields are missing from the provided data: ${parsed.missing.map((key) => `credentials.${key}`).join(', ')}`,
        );
      const [problem] = parsed.problems;
      if (problem.param === 'gateway' && gateway === 'sandbox')
        throw ApiError.badRequest(
          `The sandbox serves test mode only: a live-mode merchant connects a live gateway account`,
          'livemode_gateway_unavailable',
          'gateway',
        );
      const wrongMode = /mode/i.test(problem.message);
      throw ApiError.badRequest(problem.message, wrongMode ? 'credentials_wrong_mode' : 'parameter_invalid', problem.param);
    }
    try {
      await connector.verifyCredentials(parsed.credentials);
    } catch (error) {
      if (error instanceof CredentialsRejectedError) {
        const forCurrencies = currencies && currencies.length > 0 ? currencies.join(', ') : 'any currency';
        throw ApiError.badRequest(
          `Invalid credentials for gateway: ${gateway} for: ${forCurrencies} (${error.reason})`,
          'invalid_credentials',
          'credentials',
        );
      }
      this.deps.logger.warn(
        { gateway, merchantId: merchant.id, reason: (error as Error).message },
        'gateway unreachable while verifying credentials',
      );
      throw ApiError.unavailable(
        `The ${gateway} gateway could not be reached to verify the credentials; nothing was stored. Try again.`,
        'gateway_unreachable',
      );
    }
    return { credentials: parsed.credentials, last4: parsed.last4 };
  }

  private repository(): GatewayAccountRepository {
    return new GatewayAccountRepository(sqlFor(this.deps.orm.em.fork()));
  }

  private async findOrThrow(merchant: Pick<Merchant, 'id'>, id: string): Promise<GatewayAccountRecord> {
    const account = await this.repository().findForMerchant(merchant.id, id);
    if (!account) throw apiErrors.notFound('Gateway account');
    return account;
  }
}
