import type { Sql } from '../db/sql';
import { OAUTH_TOKEN_REVOKED_CHANNEL } from './oauth-revocations';
import type { NewOAuthToken, OAuthAccessTokenRow, OAuthRefreshTokenRow } from './oauth-token-record';

const COLUMNS = 'id, family_id, oauth_client_id, merchant_id, scope, expires_at, revoked_at';

/** The `oauth_access_tokens` and `oauth_refresh_tokens` tables: tokens by hash, grouped in families. */
export class OAuthTokenRepository {
  constructor(private readonly sql: Sql) {}

  async insertAccessToken(token: NewOAuthToken): Promise<void> {
    await this.insert('oauth_access_tokens', token);
  }

  async insertRefreshToken(token: NewOAuthToken): Promise<void> {
    await this.insert('oauth_refresh_tokens', token);
  }

  private async insert(table: string, token: NewOAuthToken): Promise<void> {
    await this.sql.query(
      `insert into ${table} (id, family_id, oauth_client_id, merchant_id, token_hash, scope, expires_at)
        values (?, ?, ?, ?, ?, ?, now() + ?::double precision * interval '1 second')`,
      [token.id, token.familyId, token.clientId, token.merchantId, token.tokenHash, token.scope, token.ttlSeconds],
    );
  }

  /** An access token that works: not revoked, not expired, of a client not deleted. */
  async findUsableAccessToken(tokenHash: string): Promise<OAuthAccessTokenRow | undefined> {
    const [row] = await this.sql.query<OAuthAccessTokenRow>(
      `select t.id, t.family_id, t.oauth_client_id, t.merchant_id, t.scope, t.expires_at, t.revoked_at
         from oauth_access_tokens t join oauth_clients c on c.id = t.oauth_client_id
        where t.token_hash = ? and t.revoked_at is null and t.expires_at > now() and c.deleted_at is null`,
      [tokenHash],
    );
    return row;
  }

  /** A refresh token by hash, whatever its state (a spent one must be recognised to detect its reuse). */
  async findRefreshToken(tokenHash: string): Promise<OAuthRefreshTokenRow | undefined> {
    const [row] = await this.sql.query<OAuthRefreshTokenRow>(`select ${COLUMNS}, used_at from oauth_refresh_tokens where token_hash = ?`, [
      tokenHash,
    ]);
    return row;
  }

  async findAccessToken(tokenHash: string): Promise<OAuthAccessTokenRow | undefined> {
    const [row] = await this.sql.query<OAuthAccessTokenRow>(`select ${COLUMNS} from oauth_access_tokens where token_hash = ?`, [tokenHash]);
    return row;
  }

  /** Spends a refresh token; false when it was spent or revoked already (a reuse, or a concurrent exchange that won). */
  async spendRefreshToken(id: string): Promise<boolean> {
    const rows = await this.sql.query(
      `update oauth_refresh_tokens set used_at = now() where id = ? and used_at is null and revoked_at is null and expires_at > now() returning id`,
      [id],
    );
    return rows.length > 0;
  }

  /** Revokes every token of the family, access and refresh. */
  async revokeFamily(familyId: string): Promise<void> {
    for (const table of ['oauth_access_tokens', 'oauth_refresh_tokens'])
      await this.sql.query(`update ${table} set revoked_at = now() where family_id = ? and revoked_at is null`, [familyId]);
  }

  /** Revokes every token the client was ever given. */
  async revokeClientTokens(clientId: string): Promise<void> {
    for (const table of ['oauth_access_tokens', 'oauth_refresh_tokens'])
      await this.sql.query(`update ${table} set revoked_at = now() where oauth_client_id = ? and revoked_at is null`, [clientId]);
  }

  async revokeAccessToken(id: string): Promise<void> {
    await this.sql.query(`update oauth_access_tokens set revoked_at = now() where id = ? and revoked_at is null`, [id]);
  }

  /** Queued in the revoking transaction: delivered at commit to every API process, with the id of the token, family or client revoked. */
  async notifyRevoked(id: string): Promise<void> {
    await this.sql.query(`select pg_notify('${OAUTH_TOKEN_REVOKED_CHANNEL}', ?)`, [id]);
  }
}
