import { selectNewestFirst, type Page, type SqlCondition } from '../db/pagination';
import type { Sql } from '../db/sql';
import { newId } from '../shared/ids';
import type { ReconciledItem, ReconciliationCategory } from './reconcile';
import type {
  ReconciliationItemRecord,
  ReconciliationKind,
  ReconciliationRecord,
  ReconciliationSource,
  ReconciliationStatus,
} from './reconciliation-record';

/** Which runs a reader may see: one merchant's, or the platform's (merchant_id null). */
export type ReconciliationScope = { merchantId: string } | { platform: true };

const RUN_COLUMNS = `id, merchant_id, kind, source, gateway, gateway_account_id, status, period_start::text as period_start, period_end::text as period_end, file_sha256, file_rows,
  matched_count, amount_mismatch_count, missing_in_ledger_count, missing_in_settlement_count, created_at`;

interface RunRow {
  id: string;
  merchant_id: string | null;
  kind: ReconciliationKind;
  source: ReconciliationSource;
  gateway: string | null;
  gateway_account_id: string | null;
  status: ReconciliationStatus;
  period_start: string;
  period_end: string;
  file_sha256: string;
  file_rows: number;
  matched_count: number;
  amount_mismatch_count: number;
  missing_in_ledger_count: number;
  missing_in_settlement_count: number;
  created_at: Date | string;
}

function toRecord(row: RunRow): ReconciliationRecord {
  return {
    id: row.id,
    merchantId: row.merchant_id,
    kind: row.kind,
    source: row.source,
    gateway: row.gateway,
    gatewayAccountId: row.gateway_account_id,
    status: row.status,
    periodStart: row.period_start,
    periodEnd: row.period_end,
    fileSha256: row.file_sha256,
    fileRows: row.file_rows,
    summary: {
      matched: row.matched_count,
      amount_mismatch: row.amount_mismatch_count,
      missing_in_ledger: row.missing_in_ledger_count,
      missing_in_settlement: row.missing_in_settlement_count,
    },
    createdAt: row.created_at,
  };
}

function scopeCondition(scope: ReconciliationScope): SqlCondition {
  return 'platform' in scope ? ['merchant_id is null'] : ['merchant_id = ?', scope.merchantId];
}

/** Every read and write of reconciliation runs and their items (the ledger's side: reconciliation-ledger-repository.ts). */
export class ReconciliationRepository {
  constructor(private readonly sql: Sql) {}

  /**
   * Inserts a run and its items in the caller's transaction. Returns null, writing nothing, when a
   * run with this id or idempotency key exists already (a retried request or activity).
   */
  async insert(
    run: Omit<ReconciliationRecord, 'createdAt'> & { idempotencyKey: string | null },
    items: ReconciledItem[],
  ): Promise<ReconciliationRecord | null> {
    const { summary } = run;
    const [inserted] = await this.sql.query<RunRow>(
      `insert into reconciliations (id, merchant_id, kind, source, gateway, gateway_account_id, status, period_start, period_end, file_sha256,
       file_rows, matched_count, amount_mismatch_count, missing_in_ledger_count, missing_in_settlement_count, idempotency_key)
     values (?, ?, ?, ?, ?, ?, ?, ?::date, ?::date, ?, ?, ?, ?, ?, ?, ?)
     on conflict do nothing
     returning ${RUN_COLUMNS}`,
      [
        run.id,
        run.merchantId,
        run.kind,
        run.source,
        run.gateway,
        run.gatewayAccountId,
        run.status,
        run.periodStart,
        run.periodEnd,
        run.fileSha256,
        run.fileRows,
        summary.matched,
        summary.amount_mismatch,
        summary.missing_in_ledger,
        summary.missing_in_settlement,
        run.idempotencyKey,
      ],
    );
    if (!inserted) return null;
    // One statement for any number of items: columns travel as arrays.
    const columns = {
      id: [] as string[],
      position: [] as number[],
      category: [] as string[],
      reference: [] as (string | null)[],
      line: [] as (number | null)[],
      settledMinor: [] as (number | null)[],
      settledCurrency: [] as (string | null)[],
      settledDate: [] as (string | null)[],
      entryId: [] as (string | null)[],
      ledgerMinor: [] as (number | null)[],
      ledgerCurrency: [] as (string | null)[],
    };
    items.forEach((item, position) => {
      columns.id.push(newId('ri'));
      columns.position.push(position);
      columns.category.push(item.category);
      columns.reference.push(item.reference);
      columns.line.push(item.settlement?.line ?? null);
      columns.settledMinor.push(item.settlement?.amountMinor ?? null);
      columns.settledCurrency.push(item.settlement?.currency ?? null);
      columns.settledDate.push(item.settlement?.date ?? null);
      columns.entryId.push(item.ledger?.entryId ?? null);
      columns.ledgerMinor.push(item.ledger?.amountMinor ?? null);
      columns.ledgerCurrency.push(item.ledger?.currency ?? null);
    });
    if (items.length > 0) {
      await this.sql.query(
        `insert into reconciliation_items (id, reconciliation_id, position, category, gateway_reference, settlement_line, settlement_amount_minor,
         settlement_currency, settlement_date, ledger_entry_id, ledger_amount_minor, ledger_currency)
       select u.id, ?, u.position, u.category, u.reference, u.line, u.settled_minor, u.settled_currency, u.settled_date, u.entry_id, u.ledger_minor, u.ledger_currency
         from unnest(?::text[], ?::int[], ?::text[], ?::text[], ?::int[], ?::bigint[], ?::text[], ?::date[], ?::text[], ?::bigint[], ?::text[])
           as u (id, position, category, reference, line, settled_minor, settled_currency, settled_date, entry_id, ledger_minor, ledger_currency)`,
        [
          run.id,
          columns.id,
          columns.position,
          columns.category,
          columns.reference,
          columns.line,
          columns.settledMinor,
          columns.settledCurrency,
          columns.settledDate,
          columns.entryId,
          columns.ledgerMinor,
          columns.ledgerCurrency,
        ],
      );
    }
    return toRecord(inserted);
  }

  /** The run stored under this id or idempotency key, whoever's it is: what a retried request or activity is answered with. */
  async findStored({ id, idempotencyKey }: { id: string; idempotencyKey: string | null }): Promise<ReconciliationRecord | null> {
    const [row] = await this.sql.query<RunRow>(`select ${RUN_COLUMNS} from reconciliations where id = ? or idempotency_key = ? limit 1`, [
      id,
      idempotencyKey,
    ]);
    return row ? toRecord(row) : null;
  }

  /** The run stored under this idempotency key, whoever's it is: what a retried activity finds its earlier attempt's run by. */
  async findByIdempotencyKey(idempotencyKey: string): Promise<ReconciliationRecord | null> {
    const [row] = await this.sql.query<RunRow>(`select ${RUN_COLUMNS} from reconciliations where idempotency_key = ?`, [idempotencyKey]);
    return row ? toRecord(row) : null;
  }

  /** A run the reader may see, or null (another merchant's run is null too). */
  async find(scope: ReconciliationScope, id: string): Promise<ReconciliationRecord | null> {
    const [clause, ...values] = scopeCondition(scope);
    const [row] = await this.sql.query<RunRow>(`select ${RUN_COLUMNS} from reconciliations where id = ? and ${clause}`, [id, ...values]);
    return row ? toRecord(row) : null;
  }

  /** A run's items in the order they were classified: file rows in file order, then what only the ledger holds. */
  async items(reconciliationId: string): Promise<ReconciliationItemRecord[]> {
    const rows = await this.sql.query<{
      id: string;
      category: ReconciliationCategory;
      gateway_reference: string | null;
      settlement_line: number | null;
      settlement_amount_minor: string | null;
      settlement_currency: string | null;
      settlement_date: string | null;
      ledger_entry_id: string | null;
      ledger_amount_minor: string | null;
      ledger_currency: string | null;
      source_type: string | null;
      source_id: string | null;
      ledger_merchant_id: string | null;
      posted_at: Date | string | null;
    }>(
      `select i.id, i.category, i.gateway_reference, i.settlement_line, i.settlement_amount_minor, i.settlement_currency, i.settlement_date::text as settlement_date,
            i.ledger_entry_id, i.ledger_amount_minor, i.ledger_currency, e.source_type, e.source_id, e.merchant_id as ledger_merchant_id, e.created_at as posted_at
       from reconciliation_items i left join ledger_entries e on e.id = i.ledger_entry_id
      where i.reconciliation_id = ? order by i.position`,
      [reconciliationId],
    );
    return rows.map((row) => ({
      id: row.id,
      category: row.category,
      reference: row.gateway_reference,
      settlement:
        row.settlement_line === null
          ? null
          : {
              line: row.settlement_line,
              amountMinor: Number(row.settlement_amount_minor),
              currency: row.settlement_currency as string,
              date: row.settlement_date as string,
            },
      ledger:
        row.ledger_entry_id === null
          ? null
          : {
              entryId: row.ledger_entry_id,
              sourceType: row.source_type as string,
              sourceId: row.source_id as string,
              merchantId: row.ledger_merchant_id,
              amountMinor: Number(row.ledger_amount_minor),
              currency: row.ledger_currency as string,
              postedAt: row.posted_at as Date | string,
            },
    }));
  }

  /** One page of the reader's runs, newest first, after the `startingAfter` run (checked to be the reader's). */
  async list(scope: ReconciliationScope, limit: number, startingAfter?: string): Promise<Page<ReconciliationRecord>> {
    const page = await selectNewestFirst<RunRow>(this.sql, 'reconciliations', [scopeCondition(scope)], limit, startingAfter);
    return { data: page.data.map(toRecord), hasMore: page.hasMore };
  }
}
