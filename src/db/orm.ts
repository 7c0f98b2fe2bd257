import { MikroORM, type Options } from '@mikro-orm/postgresql';
import { Client } from 'pg';
import { MerchantEntity } from '../merchants/merchant-record';
import { ApiKeyEntity } from '../merchants/api-key-record';
import { PaymentEntity } from '../payments/payment-record';
import { IdempotencyKeyEntity } from '../idempotency/idempotency-record';
import { EventEntity } from '../events/event-record';
import { LedgerEntryEntity, LedgerPostingEntity } from '../ledger/ledger-record';
import { BlocklistEntryEntity } from '../fraud/blocklist-record';
import { RefundEntity } from '../refunds/refund-record';
import { DisputeEntity } from '../disputes/dispute-record';
import { WebhookAttemptEntity, WebhookEndpointEntity } from '../webhooks/webhook-record';
import { loadMigrations, MIGRATION_NAMES } from './migrations';

export type Orm = MikroORM;

export interface DatabaseOptions {
  url: string;
  poolMax?: number;
  debug?: boolean;
}

function ormOptions({ url, poolMax = 8, debug = false }: DatabaseOptions): Options {
  return {
    clientUrl: url,
    entities: [
      MerchantEntity,
      ApiKeyEntity,
      PaymentEntity,
      IdempotencyKeyEntity,
      EventEntity,
      LedgerEntryEntity,
      LedgerPostingEntity,
      BlocklistEntryEntity,
      RefundEntity,
      DisputeEntity,
      WebhookEndpointEntity,
      WebhookAttemptEntity,
    ],
    forceUtcTimezone: true,
    pool: { min: 0, max: poolMax },
    debug,
    allowGlobalContext: false,
  };
}

/** Connects the ORM. Every request and every activity run works in its own `orm.em.fork()`. */
export async function initOrm(options: DatabaseOptions): Promise<Orm> {
  return MikroORM.init(ormOptions(options));
}

// An arbitrary constant: the advisory lock that serializes migrations across processes.
const MIGRATION_LOCK_KEY = 724_100_001;

/**
 * Applies pending migrations. The API and the worker may start together; an advisory lock
 * makes the second wait instead of racing the first. A schema already current (the usual start)
 * is seen from the names alone, and the migration toolkit is never loaded into the process.
 */
export async function migrate(url: string): Promise<string[]> {
  const lockClient = new Client({ connectionString: url });
  // A dropped connection fails the query in hand; unheard, its 'error' event would also kill the process.
  lockClient.on('error', () => undefined);
  await lockClient.connect();
  try {
    await lockClient.query('select pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
    if ((await pendingMigrationNames(lockClient)).length === 0) return [];
    const { Migrator } = await import('@mikro-orm/migrations');
    const orm = await MikroORM.init({
      ...ormOptions({ url, poolMax: 1 }),
      extensions: [Migrator],
      migrations: {
        migrationsList: (await loadMigrations()) as unknown as NonNullable<Options['migrations']>['migrationsList'],
        tableName: MIGRATIONS_TABLE,
        transactional: true,
        allOrNothing: true,
        silent: true,
      },
    });
    try {
      const applied = await orm.getMigrator().up();
      return applied.map((migration) => migration.name);
    } finally {
      await orm.close();
    }
  } finally {
    await lockClient.query('select pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY]).catch(() => undefined);
    await lockClient.end().catch(() => undefined);
  }
}

const MIGRATIONS_TABLE = 'schema_migrations';
const UNDEFINED_TABLE = '42P01';

/** The migrations of this build the database has not recorded (all of them on an empty database). */
async function pendingMigrationNames(client: Client): Promise<string[]> {
  try {
    const { rows } = await client.query<{ name: string }>(`select name from ${MIGRATIONS_TABLE}`);
    const applied = new Set(rows.map((row) => row.name));
    return MIGRATION_NAMES.filter((name) => !applied.has(name));
  } catch (error) {
    if ((error as { code?: string }).code === UNDEFINED_TABLE) return [...MIGRATION_NAMES];
    throw error;
  }
}
