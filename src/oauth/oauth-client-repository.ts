import type { Sql } from '../db/sql';
import { selectNewestFirst, type Page } from '../db/pagination';
import type { OAuthClientRow, OAuthClientSecretRow } from './oauth-client-record';

const SECRET_COLUMNS = 'id, last4, created_at, expires_at';

/** The `oauth_clients` and `oauth_client_secrets` tables: merchants' OAuth clients and their hashed secrets. */
export class OAuthClientRepository {
  constructor(private readonly sql: Sql) {}

  async insert(client: Omit<OAuthClientRow, 'created_at' | 'deleted_at'>): Promise<OAuthClientRow> {
    const [row] = await this.sql.query<OAuthClientRow>(
      `insert into oauth_clients (id, merchant_id, client_id, name, scope, grant_types) values (?, ?, ?, ?, ?, ?) returning *`,
      [client.id, client.merchant_id, client.client_id, client.name, client.scope, client.grant_types],
    );
    return row;
  }

  async insertSecret(secret: { id: string; clientId: string; secretHash: string; last4: string }): Promise<OAuthClientSecretRow> {
    const [row] = await this.sql.query<OAuthClientSecretRow>(
      `insert into oauth_client_secrets (id, oauth_client_id, secret_hash, last4) values (?, ?, ?, ?) returning ${SECRET_COLUMNS}`,
      [secret.id, secret.clientId, secret.secretHash, secret.last4],
    );
    return row;
  }

  /** The merchant's client (not deleted) by its oc_ id; with `lock`, held until the transaction ends. */
  async findForMerchant(merchantId: string, id: string, lock = false): Promise<OAuthClientRow | undefined> {
    const [row] = await this.sql.query<OAuthClientRow>(
      `select * from oauth_clients where id = ? and merchant_id = ? and deleted_at is null${lock ? ' for update' : ''}`,
      [id, merchantId],
    );
    return row;
  }

  /** The client a token request names by client_id, if its secret is one of its live ones. */
  async findByCredentials(clientId: string, secretHash: string): Promise<OAuthClientRow | undefined> {
    const [row] = await this.sql.query<OAuthClientRow>(
      `select c.* from oauth_clients c join oauth_client_secrets s on s.oauth_client_id = c.id
        where c.client_id = ? and c.deleted_at is null and s.secret_hash = ? and (s.expires_at is null or s.expires_at > now())`,
      [clientId, secretHash],
    );
    return row;
  }

  /** The client's secrets that still work (one, or two during a rotation), newest first. */
  async liveSecrets(id: string): Promise<OAuthClientSecretRow[]> {
    return this.sql.query<OAuthClientSecretRow>(
      `select ${SECRET_COLUMNS} from oauth_client_secrets where oauth_client_id = ? and (expires_at is null or expires_at > now())
        order by created_at desc, id desc`,
      [id],
    );
  }

  /** Live secrets per client, for a page of clients. */
  async liveSecretsOf(ids: string[]): Promise<Map<string, OAuthClientSecretRow[]>> {
    const byClient = new Map<string, OAuthClientSecretRow[]>();
    for (const id of ids) byClient.set(id, await this.liveSecrets(id));
    return byClient;
  }

  /** Ends the client's live secrets `seconds` from now; an earlier end already set stays (a rotation never extends a secret). */
  async expireLiveSecrets(id: string, seconds: number): Promise<void> {
    await this.sql.query(
      `update oauth_client_secrets set expires_at = least(coalesce(expires_at, 'infinity'), now() + ?::double precision * interval '1 second')
        where oauth_client_id = ? and (expires_at is null or expires_at > now())`,
      [seconds, id],
    );
  }

  async existsForMerchant(merchantId: string, id: string): Promise<boolean> {
    return (
      (await this.sql.query(`select 1 from oauth_clients where id = ? and merchant_id = ? and deleted_at is null`, [id, merchantId]))
        .length > 0
    );
  }

  async listForMerchant(merchantId: string, limit: number, startingAfter?: string): Promise<Page<OAuthClientRow>> {
    return selectNewestFirst<OAuthClientRow>(
      this.sql,
      'oauth_clients',
      [['merchant_id = ?', merchantId], ['deleted_at is null']],
      limit,
      startingAfter,
    );
  }

  /** Marks the client deleted and ends its secrets now. */
  async delete(id: string): Promise<OAuthClientRow> {
    await this.sql.query(
      `update oauth_client_secrets set expires_at = now() where oauth_client_id = ? and (expires_at is null or expires_at > now())`,
      [id],
    );
    const [row] = await this.sql.query<OAuthClientRow>(`update oauth_clients set deleted_at = now() where id = ? returning *`, [id]);
    return row;
  }
}
