import { Migration } from '@mikro-orm/migrations';

/**
 * Webhook endpoints' signing secrets sealed with the card vault's key ring (AES-256-GCM, bound to
 * the endpoint; the key id kept for rotation), the rotated-out secret likewise. The clear columns
 * only become nullable: the keys never reach the database, so existing secrets cannot be sealed
 * here. The API seals them at start, and a delivery on first use (`src/webhooks/webhook-secrets.ts`).
 */
export class Migration20261206000000SealedWebhookSecrets extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
      alter table webhook_endpoints
        add column secret_key_id text,
        add column secret_ciphertext bytea,
        add column previous_secret_key_id text,
        add column previous_secret_ciphertext bytea,
        alter column secret drop not null;`);
    // Every endpoint keeps a secret in one form or the other, and a sealed one always names its key.
    this.addSql(`
      alter table webhook_endpoints
        add constraint webhook_endpoints_secret_check check (secret is not null or secret_ciphertext is not null),
        add constraint webhook_endpoints_secret_key_check check ((secret_key_id is null) = (secret_ciphertext is null)),
        add constraint webhook_endpoints_previous_secret_key_check
          check ((previous_secret_key_id is null) = (previous_secret_ciphertext is null));`);
  }

  override async down(): Promise<void> {
    // Sealed secrets cannot be opened in SQL: going back would leave endpoints without a secret.
    this.addSql(`
      do $$ begin
        if exists (select 1 from webhook_endpoints where secret is null) then
          raise exception 'webhook_endpoints holds sealed signing secrets; they cannot be put back in clear by a migration';
        end if;
      end $$;`);
    this.addSql(`
      alter table webhook_endpoints
        drop constraint webhook_endpoints_previous_secret_key_check,
        drop constraint webhook_endpoints_secret_key_check,
        drop constraint webhook_endpoints_secret_check,
        alter column secret set not null,
        drop column previous_secret_ciphertext,
        drop column previous_secret_key_id,
        drop column secret_ciphertext,
        drop column secret_key_id;`);
  }
}
