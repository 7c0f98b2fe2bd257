import { Client } from 'pg';

/** How much to seed. Payments set the scale: their ledger entries, balance transactions, receipts and events follow from them. */
export interface SeedSize {
  payments: number;
  /** Idempotency-Keys of the newest payments' creations. */
  idempotencyKeys: number;
  /** Days of history, ending an hour before the seed runs. */
  days: number;
}

export const FULL_SEED: SeedSize = { payments: 1_000_000, idempotencyKeys: 100_000, days: 365 };

export interface SeedResult {
  seconds: number;
  rows: Record<string, number>;
}

// Payments per transaction. Each chunk's postings are one statement, which the ledger's statement
// trigger checks and adds to the stored balances at once: 50,000 payments took 10 s in chunks of
// 5,000 and 13 s in chunks of 1,000. Much larger chunks would hold more in memory for little gain.
const CHUNK = 5_000;
// One payment in five belongs to the measured merchant; the others are spread over these merchants.
const OTHER_MERCHANTS = 19;
const OTHER_MERCHANT = `'mer_seed_' || lpad((g % ${OTHER_MERCHANTS} + 1)::text, 2, '0')`;

/**
 * The chunk's payments, computed once and read by every insert. One in five is the measured
 * merchant's; statuses cycle 80 % succeeded, 12 % failed, 4 % requires_capture, 4 % canceled;
 * one in ten is in EUR; the fee is the default schedule's 2.9 % + 30.
 */
const CHUNK_ROWS = `
  create temp table seed_chunk on commit drop as
  select *, $6::text || lpad(g::text, 18, '0') as n,
         case when status = 'succeeded' then (amount_minor * 290 + 5000) / 10000 + 30 else 0 end as fee_minor,
         date_trunc('day', created_at + interval '1 second', 'UTC') + interval '2 days' as available_on
    from (select g,
                 case when g % 5 = 0 then $3 else ${OTHER_MERCHANT} end as merchant_id,
                 $4::timestamptz + $5::interval * (g - 1) as created_at,
                 case when (g / 7) % 10 = 3 then 'EUR' else 'USD' end as currency,
                 500 + (g * 7919) % 99500 as amount_minor,
                 case when (g / 5) % 25 < 3 then 'failed' when (g / 5) % 25 = 3 then 'requires_capture'
                      when (g / 5) % 25 = 4 then 'canceled' else 'succeeded' end as status
            from generate_series($1::bigint, $2::bigint) g) as generated`;

const INSERT_PAYMENTS = `
  insert into payments (id, merchant_id, amount_minor, currency, status, capture_method, source, description, metadata,
                        amount_capturable_minor, amount_captured_minor, fee_minor, gateway, gateway_reference, failure_code,
                        failure_message, cancellation_reason, created_at, updated_at, authorization_expires_at, captured_at, canceled_at)
  select 'pay_seed' || n, merchant_id, amount_minor, currency, status,
         case when status in ('requires_capture', 'canceled') then 'manual' else 'automatic' end, 'tok_visa', 'Order ' || g,
         jsonb_build_object('order_id', g::text),
         case when status = 'requires_capture' then amount_minor else 0 end,
         case when status = 'succeeded' then amount_minor else 0 end, fee_minor, 'sandbox',
         case when status <> 'failed' then 'sbx_auth_seed' || n end,
         case when status = 'failed' then 'card_declined' end, case when status = 'failed' then 'Your card was declined.' end,
         case when status = 'canceled' then 'requested_by_customer' end,
         created_at, created_at + interval '1 second',
         case when status in ('requires_capture', 'canceled') then created_at + interval '7 days' end,
         case when status = 'succeeded' then created_at + interval '1 second' end,
         case when status = 'canceled' then created_at + interval '1 hour' end
    from seed_chunk`;

// What recordPaymentOutcome writes with a capture: the receipt's token, the entry, its postings and the balance transaction.
const INSERT_RECEIPTS = `
  insert into receipts (payment_id, merchant_id, token, created_at)
  select 'pay_seed' || n, merchant_id, 'rcpt_seed' || n, created_at + interval '1 second' from seed_chunk where status = 'succeeded'`;

const INSERT_ENTRIES = `
  insert into ledger_entries (id, idempotency_key, content_hash, merchant_id, source_type, source_id, description, created_at)
  select 'je_seed' || n, 'payment:pay_seed' || n || ':capture', md5('capture' || n), merchant_id, 'payment', 'pay_seed' || n,
         'Capture of pay_seed' || n, created_at + interval '1 second'
    from seed_chunk where status = 'succeeded'`;

const INSERT_POSTINGS = `
  insert into ledger_postings (id, entry_id, account, merchant_id, currency, amount_minor, created_at)
  select 'lp_seed' || n || part, 'je_seed' || n, account, posting_merchant, currency, amount, created_at + interval '1 second'
    from seed_chunk,
         lateral (values ('a', 'merchant:' || merchant_id || ':fees_payable', merchant_id, fee_minor),
                         ('b', 'merchant:' || merchant_id || ':pending', merchant_id, amount_minor),
                         ('c', 'merchant:' || merchant_id || ':pending', merchant_id, -fee_minor),
                         ('d', 'platform:gateway_clearing:sandbox', null, -amount_minor)) as p (part, account, posting_merchant, amount)
   where status = 'succeeded'`;

const INSERT_BALANCE_TRANSACTIONS = `
  insert into balance_transactions (id, merchant_id, ledger_entry_id, type, source_type, source_id, description, currency,
                                    amount_minor, fee_minor, net_minor, status, available_on, created_at)
  select 'txn_seed' || n, merchant_id, 'je_seed' || n, 'charge', 'payment', 'pay_seed' || n, 'Capture of pay_seed' || n, currency,
         amount_minor, fee_minor, amount_minor - fee_minor, 'pending', available_on, created_at + interval '1 second'
    from seed_chunk where status = 'succeeded'`;

// The payment.<status> event of every payment that did not succeed: one payment in five (succeeded payments' events would queue receipts).
const INSERT_EVENTS = `
  insert into events (id, merchant_id, type, idempotency_key, object_type, object_id, data, created_at, dispatched_at)
  select 'evt_seed' || n, merchant_id, 'payment.' || status, 'payment:pay_seed' || n || ':' || status, 'payment', 'pay_seed' || n,
         jsonb_build_object('id', 'pay_seed' || n, 'object', 'payment', 'status', status, 'amount_minor', amount_minor, 'currency', currency),
         created_at + interval '1 second', created_at + interval '2 seconds'
    from seed_chunk where status <> 'succeeded'`;

const INSERT_IDEMPOTENCY_KEYS = `
  insert into idempotency_keys (merchant_id, key, request_method, request_path, request_hash, resource_id, created_at)
  select merchant_id, 'seed-key-' || n, 'POST', '/v1/payments', md5('request' || n), 'pay_seed' || n, created_at
    from seed_chunk where g > $1::bigint`;

/**
 * Due charges become available as the settlement job makes them: one entry per merchant, currency
 * and day moves their net from pending to available, and the transactions point at it.
 */
const SETTLE_MONTH = `
  create temp table seed_settlements on commit drop as
  select merchant_id, currency, available_on, sum(net_minor) as net_minor,
         'je_seedstl_' || substr(md5($4::text || merchant_id || currency || available_on::text), 1, 22) as entry_id
    from balance_transactions
   where status = 'pending' and available_on <= $1::timestamptz and available_on >= $2::timestamptz and available_on < $3::timestamptz
     and id like 'txn_seed%'
   group by merchant_id, currency, available_on;
  insert into ledger_entries (id, idempotency_key, content_hash, merchant_id, source_type, source_id, description, created_at)
  select entry_id, 'settlement:' || merchant_id || ':' || currency || ':' || entry_id, md5(entry_id), merchant_id, 'settlement',
         'stl_' || substr(md5(entry_id), 1, 24), 'Settlement of charges to available', available_on
    from seed_settlements;
  insert into ledger_postings (id, entry_id, account, merchant_id, currency, amount_minor, created_at)
  select 'lp_' || substr(entry_id, 4) || part, entry_id, 'merchant:' || merchant_id || ':' || kind, merchant_id, currency, amount, available_on
    from seed_settlements, lateral (values ('a', 'available', net_minor), ('b', 'pending', -net_minor)) as p (part, kind, amount);
  update balance_transactions t set status = 'available', settlement_entry_id = s.entry_id
    from seed_settlements s
   where t.status = 'pending' and t.merchant_id = s.merchant_id and t.currency = s.currency and t.available_on = s.available_on
     and t.id like 'txn_seed%';`;

const COUNTED_TABLES = [
  'merchants',
  'payments',
  'receipts',
  'ledger_entries',
  'ledger_postings',
  'ledger_account_balances',
  'balance_transactions',
  'events',
  'idempotency_keys',
];

/**
 * Seeds a migrated database through SQL: payments of the measured merchant (which must exist) and
 * of 19 more, with what each read touches, all constraints and ledger triggers on. Rows are
 * computed from their number, so the same size always gives the same rows, dated back from when it runs.
 */
export async function seedDataGrowth(
  url: string,
  options: {
    measuredMerchantId: string;
    size: SeedSize;
    /** Set in every seeded id, so a database can be seeded more than once (a second merchant's history). */
    tag?: string;
    now?: Date;
    log?: (line: string) => void;
  },
): Promise<SeedResult> {
  const { size, measuredMerchantId, tag = '' } = options;
  const log = options.log ?? (() => undefined);
  const now = options.now ?? new Date();
  const end = new Date(now.getTime() - 3_600_000);
  const start = new Date(end.getTime() - size.days * 86_400_000);
  const step = `${(size.days * 86_400) / size.payments} seconds`;
  const started = Date.now();
  const client = new Client({ connectionString: url });
  client.on('error', () => undefined);
  await client.connect();
  try {
    // Only this session's commits: a crash mid-seed loses the last chunks, never consistency.
    await client.query('set synchronous_commit = off');
    await client.query(
      `insert into merchants (id, name, created_at)
       select 'mer_seed_' || lpad(k::text, 2, '0'), 'Seeded merchant ' || k, $1::timestamptz from generate_series(1, ${OTHER_MERCHANTS}) k
       on conflict (id) do nothing`,
      [start],
    );
    const firstKeyed = size.payments - size.idempotencyKeys;
    for (let first = 1; first <= size.payments; first += CHUNK) {
      const last = Math.min(size.payments, first + CHUNK - 1);
      await client.query('begin');
      await client.query(CHUNK_ROWS, [first, last, measuredMerchantId, start, step, tag]);
      for (const statement of [
        INSERT_PAYMENTS,
        INSERT_RECEIPTS,
        INSERT_ENTRIES,
        INSERT_POSTINGS,
        INSERT_BALANCE_TRANSACTIONS,
        INSERT_EVENTS,
      ]) {
        await client.query(statement);
      }
      await client.query(INSERT_IDEMPOTENCY_KEYS, [firstKeyed]);
      await client.query('commit');
      if (last % 100_000 === 0) log(`seeded ${last} payments (${Math.round((Date.now() - started) / 1000)} s)`);
    }
    for (let month = new Date(start); month < now; month = new Date(month.getTime() + 30 * 86_400_000)) {
      const until = new Date(month.getTime() + 30 * 86_400_000);
      await client.query('begin');
      for (const statement of SETTLE_MONTH.split(';').filter((text) => text.trim())) {
        await client.query(statement, statement.includes('$1') ? [now, month, until, tag] : []);
      }
      await client.query('commit');
    }
    // A production database has been analysed and vacuumed by autovacuum; a fresh bulk load has not.
    await client.query(`vacuum analyze ${COUNTED_TABLES.join(', ')}`);
    const rows: Record<string, number> = {};
    for (const table of COUNTED_TABLES) {
      rows[table] = Number((await client.query<{ n: string }>(`select count(*) as n from ${table}`)).rows[0].n);
    }
    return { seconds: Math.round((Date.now() - started) / 100) / 10, rows };
  } catch (error) {
    await client.query('rollback').catch(() => undefined);
    throw error;
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** `npx tsx bench/seed-data-growth.ts <database url> <measured merchant id>`: seeds a database that is already migrated. */
async function main(): Promise<void> {
  const [url, measuredMerchantId] = process.argv.slice(2);
  if (!url || !measuredMerchantId) {
    process.stderr.write('usage: tsx bench/seed-data-growth.ts <database url> <measured merchant id>\n');
    process.exit(2);
  }
  const payments = Number(process.env.SEED_PAYMENTS ?? FULL_SEED.payments);
  const size = { ...FULL_SEED, payments, idempotencyKeys: Math.floor(payments / 10) };
  const result = await seedDataGrowth(url, { measuredMerchantId, size, log: (line) => process.stdout.write(`${line}\n`) });
  process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
}

if (require.main === module) {
  main().catch((error) => {
    process.stderr.write(`${(error as Error).stack ?? String(error)}\n`);
    process.exit(1);
  });
}
