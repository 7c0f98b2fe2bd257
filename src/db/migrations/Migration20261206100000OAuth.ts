import { Migration } from '@mikro-orm/migrations';

/**
 * OAuth 2.0: merchants' clients, their secrets (two live during a rotation), and the access and
 * refresh tokens issued to them. Secrets and tokens are stored as SHA-256 hashes only. A family is
 * every token descended from one grant: reusing a spent refresh token revokes the whole family.
 */
export class Migration20261206100000OAuth extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
      create table oauth_clients (
        id text primary key,
        merchant_id text not null references merchants(id),
        client_id text not null unique,
        name text,
        scope text not null,
        grant_types text not null,
        created_at timestamptz not null default now(),
        deleted_at timestamptz
      );`);
    this.addSql(`create index oauth_clients_merchant_idx on oauth_clients (merchant_id, created_at desc, id desc);`);
    this.addSql(`
      create table oauth_client_secrets (
        id text primary key,
        oauth_client_id text not null references oauth_clients(id),
        secret_hash text not null unique,
        last4 text not null,
        created_at timestamptz not null default now(),
        expires_at timestamptz
      );`);
    this.addSql(`create index oauth_client_secrets_client_idx on oauth_client_secrets (oauth_client_id);`);
    for (const table of ['oauth_access_tokens', 'oauth_refresh_tokens']) {
      this.addSql(`
        create table ${table} (
          id text primary key,
          family_id text not null,
          oauth_client_id text not null references oauth_clients(id),
          merchant_id text not null references merchants(id),
          token_hash text not null unique,
          scope text not null,
          created_at timestamptz not null default now(),
          expires_at timestamptz not null,
          ${table === 'oauth_refresh_tokens' ? 'used_at timestamptz,' : ''}
          revoked_at timestamptz
        );`);
      this.addSql(`create index ${table}_family_idx on ${table} (family_id);`);
      this.addSql(`create index ${table}_client_idx on ${table} (oauth_client_id);`);
    }
  }

  override async down(): Promise<void> {
    this.addSql(`drop table if exists oauth_refresh_tokens, oauth_access_tokens, oauth_client_secrets, oauth_clients;`);
  }
}
