import type { Orm } from '../db/orm';
import { inTransaction, sqlFor } from '../db/sql';
import type { Merchant } from '../merchants/merchant-record';
import { MerchantRepository } from '../merchants/merchant-repository';
import { newId } from '../shared/ids';
import type { PresentedClient } from './oauth-client-auth';
import type { OAuthClientRow } from './oauth-client-record';
import { OAuthClientRepository } from './oauth-client-repository';
import { OAuthError } from './oauth-errors';
import { OAUTH_GRANT_TYPES, type OAuthGrantType } from './oauth-schemas';
import { isKnownScope, parseScope } from './oauth-scopes';
import {
  ACCESS_TOKEN_TTL_SECONDS,
  hashSecret,
  newAccessToken,
  newRefreshToken,
  REFRESH_TOKEN_PREFIX,
  REFRESH_TOKEN_TTL_SECONDS,
} from './oauth-secrets';
import { OAuthTokenRepository } from './oauth-token-repository';

export interface TokenResponse {
  access_token: string;
  token_type: 'Bearer';
  expires_in: number;
  scope: string;
  refresh_token?: string;
}

/** Who an access token speaks for: the merchant, through which client and token, with which scopes. */
export interface AuthenticatedToken {
  merchant: Merchant;
  clientId: string;
  tokenId: string;
  familyId: string;
  scopes: string[];
  last4: string;
}

interface CachedToken extends AuthenticatedToken {
  expiresAt: number;
}

/** As for API keys: revocation clears the cache in every process at once; the bound matters only if a notification is lost. */
const TOKEN_CACHE_TTL_MS = 5_000;

/** The token endpoint's grants, revocation (RFC 7009), and the authentication of requests bearing an access token. */
export class OAuthTokenService {
  private readonly cache = new Map<string, CachedToken>();
  // Bumped by every revocation: a lookup that started before one does not cache its answer.
  private revocations = 0;

  constructor(private readonly deps: { orm: Orm }) {}

  /**
   * Answers a token request (RFC 6749 §4.4 client_credentials, §6 refresh_token with rotation).
   * @throws OAuthError invalid_request, invalid_client, invalid_grant, unauthorized_client, unsupported_grant_type, invalid_scope
   */
  async token(
    presented: PresentedClient,
    request: { grant_type?: string; scope?: string; refresh_token?: string },
  ): Promise<TokenResponse> {
    const client = await this.authenticateClient(presented);
    const grantType = request.grant_type;
    if (!grantType) throw new OAuthError('invalid_request', 'Missing grant_type');
    if (!(OAUTH_GRANT_TYPES as readonly string[]).includes(grantType)) {
      throw new OAuthError('unsupported_grant_type', `Unsupported grant_type: use ${OAUTH_GRANT_TYPES.join(' or ')}`);
    }
    const allowed = client.grant_types.split(' ');
    if (!allowed.includes(grantType)) throw new OAuthError('unauthorized_client', `This client may not use grant_type ${grantType}`);
    if (grantType === 'refresh_token') return this.refresh(client, request.refresh_token, request.scope);
    const scopes = narrowScope(request.scope, client.scope.split(' '), "the client's");
    return inTransaction(this.deps.orm, (sql) =>
      this.issue(new OAuthTokenRepository(sql), client, newId('otf'), scopes, allowed.includes('refresh_token' satisfies OAuthGrantType)),
    );
  }

  private async refresh(client: OAuthClientRow, refreshToken: string | undefined, scope: string | undefined): Promise<TokenResponse> {
    if (!refreshToken) throw new OAuthError('invalid_request', 'Missing refresh_token');
    const tokens = new OAuthTokenRepository(sqlFor(this.deps.orm.em.fork()));
    const found = await tokens.findRefreshToken(hashSecret(refreshToken));
    if (!found || found.oauth_client_id !== client.id) throw new OAuthError('invalid_grant', 'Unknown refresh_token');
    if (found.revoked_at) throw new OAuthError('invalid_grant', 'The refresh_token was revoked');
    if (found.used_at) {
      await this.revokeFamily(found.family_id);
      throw new OAuthError('invalid_grant', 'The refresh_token was used already: every token of its grant is now revoked');
    }
    if (new Date(found.expires_at) <= new Date()) throw new OAuthError('invalid_grant', 'The refresh_token has expired');
    const scopes = narrowScope(scope, found.scope.split(' '), "the grant's");
    const issued = await inTransaction(this.deps.orm, async (sql) => {
      const repository = new OAuthTokenRepository(sql);
      // Only one exchange of a refresh token wins; a concurrent second one is a reuse.
      if (!(await repository.spendRefreshToken(found.id))) return undefined;
      return this.issue(repository, client, found.family_id, scopes, true);
    });
    if (issued) return issued;
    await this.revokeFamily(found.family_id);
    throw new OAuthError('invalid_grant', 'The refresh_token was used already: every token of its grant is now revoked');
  }

  private async issue(tokens: OAuthTokenRepository, client: OAuthClientRow, familyId: string, scopes: string[], withRefresh: boolean) {
    const accessToken = newAccessToken();
    const common = { familyId, clientId: client.id, merchantId: client.merchant_id, scope: scopes.join(' ') };
    await tokens.insertAccessToken({
      ...common,
      id: newId('oat'),
      tokenHash: hashSecret(accessToken),
      ttlSeconds: ACCESS_TOKEN_TTL_SECONDS,
    });
    const response: TokenResponse = {
      access_token: accessToken,
      token_type: 'Bearer',
      expires_in: ACCESS_TOKEN_TTL_SECONDS,
      scope: common.scope,
    };
    if (!withRefresh) return response;
    const refreshToken = newRefreshToken();
    await tokens.insertRefreshToken({
      ...common,
      id: newId('ort'),
      tokenHash: hashSecret(refreshToken),
      ttlSeconds: REFRESH_TOKEN_TTL_SECONDS,
    });
    return { ...response, refresh_token: refreshToken };
  }

  /**
   * Revokes a token of the calling client (RFC 7009): a refresh token with its whole family, an access token alone.
   * Unknown tokens, and other clients' tokens, are answered the same: nothing to revoke.
   * @throws OAuthError invalid_request, invalid_client
   */
  async revoke(presented: PresentedClient, request: { token?: string; token_type_hint?: string }): Promise<void> {
    const client = await this.authenticateClient(presented);
    if (!request.token) throw new OAuthError('invalid_request', 'Missing token');
    const tokens = new OAuthTokenRepository(sqlFor(this.deps.orm.em.fork()));
    const hash = hashSecret(request.token);
    // The token's own prefix says where it lives, whatever the hint.
    if (request.token.startsWith(REFRESH_TOKEN_PREFIX)) {
      const found = await tokens.findRefreshToken(hash);
      if (found?.oauth_client_id === client.id) await this.revokeFamily(found.family_id);
      return;
    }
    const found = await tokens.findAccessToken(hash);
    if (found?.oauth_client_id !== client.id || found.revoked_at) return;
    await inTransaction(this.deps.orm, async (sql) => {
      const repository = new OAuthTokenRepository(sql);
      await repository.revokeAccessToken(found.id);
      await repository.notifyRevoked(found.id);
    });
    this.forget(found.id);
  }

  /** The merchant and client behind an access token, or null when it is unknown, expired or revoked. Cached briefly. */
  async authenticateAccessToken(token: string): Promise<AuthenticatedToken | null> {
    const hash = hashSecret(token);
    const now = Date.now();
    const cached = this.cache.get(hash);
    if (cached && cached.expiresAt > now) return cached;
    const revocationsBefore = this.revocations;
    const em = this.deps.orm.em.fork();
    const row = await new OAuthTokenRepository(sqlFor(em)).findUsableAccessToken(hash);
    if (!row) return null;
    const merchant = await new MerchantRepository(em).findById(row.merchant_id);
    if (!merchant) return null;
    const found: AuthenticatedToken = {
      merchant,
      clientId: row.oauth_client_id,
      tokenId: row.id,
      familyId: row.family_id,
      scopes: row.scope.split(' '),
      last4: token.slice(-4),
    };
    if (this.revocations === revocationsBefore) {
      if (this.cache.size > 10_000) this.cache.clear();
      this.cache.set(hash, { ...found, expiresAt: Math.min(now + TOKEN_CACHE_TTL_MS, new Date(row.expires_at).getTime()) });
    }
    return found;
  }

  /** Forgets cached tokens revoked by id: an access token's, a family's or a client's. */
  forget(id: string): void {
    this.revocations += 1;
    for (const [hash, entry] of this.cache)
      if (entry.tokenId === id || entry.familyId === id || entry.clientId === id) this.cache.delete(hash);
  }

  /** Forgets every cached token: after the revocation listener reconnects, it may have missed some. */
  forgetAll(): void {
    this.revocations += 1;
    this.cache.clear();
  }

  private async authenticateClient(presented: PresentedClient): Promise<OAuthClientRow> {
    const clients = new OAuthClientRepository(sqlFor(this.deps.orm.em.fork()));
    const client = await clients.findByCredentials(presented.clientId, hashSecret(presented.clientSecret));
    if (!client) throw new OAuthError('invalid_client', 'Unknown client, or a wrong or expired client_secret', presented.viaBasic);
    return client;
  }

  private async revokeFamily(familyId: string): Promise<void> {
    await inTransaction(this.deps.orm, async (sql) => {
      const tokens = new OAuthTokenRepository(sql);
      await tokens.revokeFamily(familyId);
      await tokens.notifyRevoked(familyId);
    });
    this.forget(familyId);
  }
}

/** The scopes asked for, if given: each known and among `granted`; else all of `granted`. */
function narrowScope(asked: string | undefined, granted: string[], whose: string): string[] {
  if (asked === undefined) return granted;
  const scopes = parseScope(asked);
  if (scopes.length === 0) throw new OAuthError('invalid_scope', 'scope is empty: omit it to get all of ' + whose + ' scopes');
  const refused = scopes.filter((name) => !isKnownScope(name) || !granted.includes(name));
  if (refused.length > 0) throw new OAuthError('invalid_scope', `Not within ${whose} scopes: ${refused.join(' ')}`);
  return scopes;
}
