import { Migration } from '@mikro-orm/migrations';

/**
 * The sandbox's 3-D Secure challenges, kept with the authorization that asks for one (as an issuer's ACS
 * keeps it with the transaction): the unguessable id of the challenge page, the page's CSRF token, the
 * payment and return URL the customer goes back to, and when the customer decided (once).
 */
export class Migration20261206080000SandboxChallenges extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
      alter table sandbox_gateway_operations
        add column payment_id text,
        add column challenge_id text unique,
        add column challenge_csrf text,
        add column return_url text,
        add column sale boolean,
        add column challenge_decided_at timestamptz;`);
  }

  override async down(): Promise<void> {
    this.addSql(`
      alter table sandbox_gateway_operations
        drop column payment_id,
        drop column challenge_id,
        drop column challenge_csrf,
        drop column return_url,
        drop column sale,
        drop column challenge_decided_at;`);
  }
}
