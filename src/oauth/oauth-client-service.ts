import type { Orm } from '../db/orm';
import { inTransaction, sqlFor } from '../db/sql';
import type { Merchant } from '../merchants/merchant-record';
import { apiErrors } from '../shared/api-error';
import { newId } from '../shared/ids';
import { OAuthClientRepository } from './oauth-client-repository';
import { renderOAuthClient, type OAuthClientJson } from './oauth-client-view';
import { hashSecret, newClientId, newClientSecret } from './oauth-secrets';
import { OAuthTokenRepository } from './oauth-token-repository';
import type { OAuthGrantType } from './oauth-schemas';

/** A client as created or rotated: with the new secret, shown this once. */
export type OAuthClientWithSecret = OAuthClientJson & { client_secret: string };

/** Merchants' OAuth clients: create, list, rotate the secret, delete. */
export class OAuthClientService {
  constructor(private readonly deps: { orm: Orm; onRevoked(id: string): void }) {}

  /** A new client with the scopes and grant types given, and its first secret (shown once). */
  async create(
    merchant: Merchant,
    input: { name?: string; scopes: string[]; grantTypes: OAuthGrantType[] },
  ): Promise<OAuthClientWithSecret> {
    const secret = newClientSecret();
    const { client, secretRow } = await inTransaction(this.deps.orm, async (sql) => {
      const clients = new OAuthClientRepository(sql);
      const row = await clients.insert({
        id: newId('oc'),
        merchant_id: merchant.id,
        client_id: newClientId(),
        name: input.name ?? null,
        scope: [...new Set(input.scopes)].join(' '),
        grant_types: [...new Set(input.grantTypes)].join(' '),
      });
      const stored = await clients.insertSecret({
        id: newId('ocs'),
        clientId: row.id,
        secretHash: hashSecret(secret),
        last4: secret.slice(-4),
      });
      return { client: row, secretRow: stored };
    });
    return { ...renderOAuthClient(client, [secretRow]), client_secret: secret };
  }

  /**
   * The merchant's clients, newest first, secrets by last four only.
   * @throws 400 resource_missing (starting_after)
   */
  async list(merchant: Merchant, limit: number, startingAfter?: string): Promise<{ data: OAuthClientJson[]; hasMore: boolean }> {
    const clients = new OAuthClientRepository(sqlFor(this.deps.orm.em.fork()));
    if (startingAfter && !(await clients.existsForMerchant(merchant.id, startingAfter)))
      throw apiErrors.noSuch('OAuth client', startingAfter);
    const page = await clients.listForMerchant(merchant.id, limit, startingAfter);
    const secrets = await clients.liveSecretsOf(page.data.map((row) => row.id));
    return { data: page.data.map((row) => renderOAuthClient(row, secrets.get(row.id) ?? [])), hasMore: page.hasMore };
  }

  /**
   * A new secret (shown once); the current ones keep working `expireCurrentInHours` more hours (0: they stop now).
   * @throws 404 resource_missing
   */
  async rotateSecret(merchant: Merchant, id: string, expireCurrentInHours: number): Promise<OAuthClientWithSecret> {
    const secret = newClientSecret();
    const { client, secrets } = await inTransaction(this.deps.orm, async (sql) => {
      const clients = new OAuthClientRepository(sql);
      const row = await clients.findForMerchant(merchant.id, id, true);
      if (!row) throw apiErrors.notFound('OAuth client');
      await clients.expireLiveSecrets(id, expireCurrentInHours * 3600);
      await clients.insertSecret({ id: newId('ocs'), clientId: id, secretHash: hashSecret(secret), last4: secret.slice(-4) });
      return { client: row, secrets: await clients.liveSecrets(id) };
    });
    return { ...renderOAuthClient(client, secrets), client_secret: secret };
  }

  /**
   * Deletes the client: its secrets stop working and every token it was given is revoked, in every API process at once.
   * @throws 404 resource_missing
   */
  async delete(merchant: Merchant, id: string): Promise<OAuthClientJson & { deleted: true }> {
    const row = await inTransaction(this.deps.orm, async (sql) => {
      const clients = new OAuthClientRepository(sql);
      if (!(await clients.findForMerchant(merchant.id, id, true))) throw apiErrors.notFound('OAuth client');
      const tokens = new OAuthTokenRepository(sql);
      await tokens.revokeClientTokens(id);
      await tokens.notifyRevoked(id);
      return clients.delete(id);
    });
    this.deps.onRevoked(id);
    return { ...renderOAuthClient(row, []), deleted: true };
  }
}
