import { selectNewestFirst, type Page, type SqlCondition } from '../db/pagination';
import type { Sql } from '../db/sql';
import { ledgerAccounts } from '../ledger/ledger-accounts';
import type { FeeSchedule } from '../payments/payment-state';
import type { FeeInvoiceLine, FeeInvoiceLineKind, FeeInvoiceRecord } from './fee-invoice-record';

type Row = Record<string, any>;

const nullableNumber = (value: unknown) => (value === null || value === undefined ? null : Number(value));

function toLine(row: Row): FeeInvoiceLine {
  return {
    position: Number(row.position),
    kind: row.kind as FeeInvoiceLineKind,
    description: row.description,
    quantity: Number(row.quantity),
    volumeMinor: nullableNumber(row.volume_minor),
    feePercentBps: nullableNumber(row.fee_percent_bps),
    feeFixedMinor: nullableNumber(row.fee_fixed_minor),
    unitDescription: row.unit_description ?? null,
    amountMinor: Number(row.amount_minor),
  };
}

function toRecord(row: Row, lines: FeeInvoiceLine[]): FeeInvoiceRecord {
  return {
    id: row.id,
    number: row.number,
    merchantId: row.merchant_id,
    merchantName: row.merchant_name,
    period: String(row.period).trim(),
    periodStart: new Date(row.period_start),
    periodEnd: new Date(row.period_end),
    currency: String(row.currency).trim(),
    status: row.status,
    processingFeesMinor: Number(row.processing_fees_minor),
    disputeFeesMinor: Number(row.dispute_fees_minor),
    totalMinor: Number(row.total_minor),
    ledgerEntryId: row.ledger_entry_id ?? null,
    createdAt: new Date(row.created_at),
    lines,
  };
}

export interface FeeInvoiceListQuery {
  period?: string;
  limit: number;
  /** An invoice id the caller has checked is the merchant's. */
  startingAfter?: string;
}

/** A merchant to invoice, with its own pricing if it has one. */
export interface MerchantToInvoice {
  id: string;
  name: string;
  fee_percent_bps: number | null;
  fee_fixed_minor: string | null;
}

/** Withheld fees of one month, grouped the way the invoice itemizes them. */
export interface WithheldFeeGroup {
  currency: string;
  /** From capture entries (the others are fees withheld by some other entry). */
  fromCaptures: boolean;
  /** Every fee of the group equals what the merchant's pricing gives on its captured amount. */
  atPricing: boolean;
  quantity: number;
  volumeMinor: number;
  amountMinor: number;
}

export interface DisputeFeeGroup {
  currency: string;
  quantity: number;
  amountMinor: number;
  /** The smallest and largest single fee: equal when one price explains the line. */
  minFeeMinor: number;
  maxFeeMinor: number;
}

/** An invoice to store: numbered, with its lines. */
export type NewFeeInvoice = Omit<FeeInvoiceRecord, 'status'> & { sequence: number };

// Serializes issuance within a period (the class of pg_advisory_xact_lock(class, hashtext(period))),
// which keeps invoice numbers gapless and makes concurrent runs queue instead of racing.
const FEE_INVOICE_LOCK_CLASS = 724_100_040;

/**
 * Every read and write of fee invoices and their lines, and the ledger's fees as an invoice
 * itemizes them. Reads for a merchant never see another merchant's invoices.
 */
export class FeeInvoiceRepository {
  constructor(private readonly sql: Sql) {}

  /** One of the merchant's invoices with its lines; null for another merchant's. */
  async findForMerchant(merchantId: string, id: string): Promise<FeeInvoiceRecord | null> {
    const [row] = await this.sql.query<Row>(`select * from fee_invoices where id = ? and merchant_id = ?`, [id, merchantId]);
    return row ? (await this.withLines([row]))[0] : null;
  }

  /** One page, newest first (date of issue, then id), after the cursor invoice. */
  async listForMerchant(merchantId: string, query: FeeInvoiceListQuery): Promise<Page<FeeInvoiceRecord>> {
    const conditions: SqlCondition[] = [['merchant_id = ?', merchantId]];
    if (query.period) conditions.push(['period = ?', query.period]);
    const page = await selectNewestFirst<Row>(this.sql, 'fee_invoices', conditions, query.limit, query.startingAfter);
    return { data: await this.withLines(page.data), hasMore: page.hasMore };
  }

  /**
   * The next `limit` merchants by id after `afterMerchantId`, of these merchants or all. Needs the
   * ORM's handle (`sqlFor`): its driver expands an array parameter into a list, hence `in (?)`.
   */
  async merchantsToInvoice(afterMerchantId: string | null, limit: number, merchantIds?: string[]): Promise<MerchantToInvoice[]> {
    return this.sql.query<MerchantToInvoice>(
      // An empty list selects nobody.
      `select id, name, fee_percent_bps, fee_fixed_minor from merchants where id > ? ${merchantIds ? (merchantIds.length > 0 ? 'and id in (?)' : 'and false') : ''} order by id limit ?`,
      merchantIds?.length ? [afterMerchantId ?? '', merchantIds, limit] : [afterMerchantId ?? '', limit],
    );
  }

  /**
   * The fees withheld into `merchant:<id>:fees_payable` in [start, end): its positive postings (the
   * invoices' own debits are negative), per entry, with the entry's captured volume (its positive
   * pending posting). Whether a fee matches the pricing is decided here, in integer arithmetic with
   * the same half-to-even rounding as `processingFeeMinor`, so a month of captures never leaves SQL.
   */
  async withheldFees(merchantId: string, window: { start: Date; end: Date }, pricing: FeeSchedule): Promise<WithheldFeeGroup[]> {
    const rows = await this.sql.query<Row>(
      `with withheld as (
       select e.id, e.source_type, f.currency, sum(f.amount_minor)::bigint as fee_minor,
              coalesce((select sum(v.amount_minor) from ledger_postings v
                         where v.entry_id = e.id and v.account = ? and v.currency = f.currency and v.amount_minor > 0), 0)::bigint as volume_minor
         from ledger_postings f join ledger_entries e on e.id = f.entry_id
        where f.account = ? and f.amount_minor > 0 and f.created_at >= ? and f.created_at < ?
        group by e.id, e.source_type, f.currency),
     -- bigint throughout: sum() answers numeric, whose division would not truncate.
     priced as (
       select w.*, w.volume_minor * ?::bigint as scaled from withheld w)
     select currency, source_type = 'payment' as from_captures,
            source_type = 'payment' and fee_minor = scaled / 10000 + ?::bigint
              + case when (scaled % 10000) * 2 > 10000 or ((scaled % 10000) * 2 = 10000 and (scaled / 10000) % 2 = 1) then 1 else 0 end as at_pricing,
            count(*) as quantity, sum(volume_minor) as volume_minor, sum(fee_minor) as amount_minor
       from priced group by 1, 2, 3 order by 1, 2 desc, 3 desc`,
      [
        ledgerAccounts.merchantPending(merchantId),
        ledgerAccounts.merchantFeesPayable(merchantId),
        window.start,
        window.end,
        pricing.percentBps,
        pricing.fixedMinor,
      ],
    );
    return rows.map((row) => ({
      currency: String(row.currency).trim(),
      fromCaptures: row.from_captures === true,
      atPricing: row.at_pricing === true,
      quantity: Number(row.quantity),
      volumeMinor: Number(row.volume_minor),
      amountMinor: Number(row.amount_minor),
    }));
  }

  /** Dispute fees the merchant's entries credited to `platform:dispute_fee_revenue` in [start, end). */
  async disputeFees(merchantId: string, window: { start: Date; end: Date }): Promise<DisputeFeeGroup[]> {
    // An entry and its postings are written by one statement, so they share created_at; filtering on
    // the entry uses the (merchant_id, created_at) index.
    const rows = await this.sql.query<Row>(
      `select p.currency, count(*) as quantity, sum(p.amount_minor) as amount_minor, min(p.amount_minor) as min_fee, max(p.amount_minor) as max_fee
       from ledger_entries e join ledger_postings p on p.entry_id = e.id
      where e.merchant_id = ? and e.created_at >= ? and e.created_at < ? and p.account = ? and p.amount_minor > 0
      group by p.currency order by p.currency`,
      [merchantId, window.start, window.end, ledgerAccounts.disputeFeeRevenue()],
    );
    return rows.map((row) => ({
      currency: String(row.currency).trim(),
      quantity: Number(row.quantity),
      amountMinor: Number(row.amount_minor),
      minFeeMinor: Number(row.min_fee),
      maxFeeMinor: Number(row.max_fee),
    }));
  }

  /** Takes the period's issuance lock until the caller's transaction ends. */
  async lockPeriod(period: string): Promise<void> {
    await this.sql.query(`select pg_advisory_xact_lock(?::int, hashtext(?))`, [FEE_INVOICE_LOCK_CLASS, period]);
  }

  /** The currencies the merchant has an invoice in for the period. */
  async invoicedCurrencies(merchantId: string, period: string): Promise<string[]> {
    const invoiced = await this.sql.query<{ currency: string }>(`select currency from fee_invoices where merchant_id = ? and period = ?`, [
      merchantId,
      period,
    ]);
    return invoiced.map((row) => row.currency.trim());
  }

  /** The period's next invoice sequence number (hold the period's lock to keep it gapless). */
  async nextSequence(period: string): Promise<number> {
    const [{ next }] = await this.sql.query<{ next: number }>(
      `select coalesce(max(sequence), 0) + 1 as next from fee_invoices where period = ?`,
      [period],
    );
    return next;
  }

  /** Stores a paid invoice and its lines. */
  async insert(invoice: NewFeeInvoice): Promise<void> {
    await this.sql.query(
      `insert into fee_invoices (id, number, sequence, merchant_id, merchant_name, period, period_start, period_end, currency, status,
                                 processing_fees_minor, dispute_fees_minor, total_minor, ledger_entry_id, created_at)
       values (?, ?, ?, ?, ?, ?, ?, ?, ?, 'paid', ?, ?, ?, ?, ?)`,
      [
        invoice.id,
        invoice.number,
        invoice.sequence,
        invoice.merchantId,
        invoice.merchantName,
        invoice.period,
        invoice.periodStart,
        invoice.periodEnd,
        invoice.currency,
        invoice.processingFeesMinor,
        invoice.disputeFeesMinor,
        invoice.totalMinor,
        invoice.ledgerEntryId,
        invoice.createdAt,
      ],
    );
    const values = invoice.lines.flatMap((line) => [
      invoice.id,
      line.position,
      line.kind,
      line.description,
      line.quantity,
      line.volumeMinor,
      line.feePercentBps,
      line.feeFixedMinor,
      line.unitDescription,
      line.amountMinor,
    ]);
    await this.sql.query(
      `insert into fee_invoice_lines (invoice_id, position, kind, description, quantity, volume_minor, fee_percent_bps, fee_fixed_minor, unit_description, amount_minor)
       values ${invoice.lines.map(() => '(?, ?, ?, ?, ?, ?, ?, ?, ?, ?)').join(', ')}`,
      values,
    );
  }

  private async withLines(rows: Row[]): Promise<FeeInvoiceRecord[]> {
    if (rows.length === 0) return [];
    const lines = await this.sql.query<Row>(
      `select * from fee_invoice_lines where invoice_id in (${rows.map(() => '?').join(', ')}) order by invoice_id, position`,
      rows.map((row) => row.id),
    );
    return rows.map((row) => toRecord(row, lines.filter((line) => line.invoice_id === row.id).map(toLine)));
  }
}
