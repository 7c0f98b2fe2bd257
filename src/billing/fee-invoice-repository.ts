import type { Orm } from '../db/orm';
import { sqlFor, type Sql } from '../db/sql';
import type { FeeInvoiceLine, FeeInvoiceLineKind, FeeInvoiceRecord } from './fee-invoice-record';

type Row = Record<string, any>;

const nullableNumber = (value: unknown) => (value === null || value === undefined ? null : Number(value));

function toLine(row: Row): FeeInvoiceLine {
  return {
    position: Number(row.position), kind: row.kind as FeeInvoiceLineKind, description: row.description, quantity: Number(row.quantity),
    volumeMinor: nullableNumber(row.volume_minor), feePercentBps: nullableNumber(row.fee_percent_bps), feeFixedMinor: nullableNumber(row.fee_fixed_minor),
    unitDescription: row.unit_description ?? null, amountMinor: Number(row.amount_minor),
  };
}

function toRecord(row: Row, lines: FeeInvoiceLine[]): FeeInvoiceRecord {
  return {
    id: row.id, number: row.number, merchantId: row.merchant_id, merchantName: row.merchant_name, period: String(row.period).trim(),
    periodStart: new Date(row.period_start), periodEnd: new Date(row.period_end), currency: String(row.currency).trim(), status: row.status,
    processingFeesMinor: Number(row.processing_fees_minor), disputeFeesMinor: Number(row.dispute_fees_minor), totalMinor: Number(row.total_minor),
    ledgerEntryId: row.ledger_entry_id ?? null, createdAt: new Date(row.created_at), lines,
  };
}

export interface FeeInvoiceListQuery {
  period?: string;
  limit: number;
  startingAfter?: FeeInvoiceRecord;
}

/** Reads a merchant's fee invoices with their lines; never another merchant's. */
export class FeeInvoiceRepository {
  constructor(private readonly orm: Orm) {}

  private sql(): Sql {
    return sqlFor(this.orm.em.fork());
  }

  async findForMerchant(merchantId: string, id: string): Promise<FeeInvoiceRecord | null> {
    const sql = this.sql();
    const [row] = await sql.query<Row>(`select * from fee_invoices where id = ? and merchant_id = ?`, [id, merchantId]);
    return row ? (await this.withLines(sql, [row]))[0] : null;
  }

  /** One page, newest first (date of issue, then id), after the cursor invoice. */
  async listForMerchant(merchantId: string, query: FeeInvoiceListQuery): Promise<{ data: FeeInvoiceRecord[]; hasMore: boolean }> {
    const sql = this.sql();
    const where = ['merchant_id = ?'];
    const values: unknown[] = [merchantId];
    if (query.period) { where.push('period = ?'); values.push(query.period); }
    if (query.startingAfter) {
      where.push('(created_at < ? or (created_at = ? and id < ?))');
      values.push(query.startingAfter.createdAt, query.startingAfter.createdAt, query.startingAfter.id);
    }
    const rows = await sql.query<Row>(`select * from fee_invoices where ${where.join(' and ')} order by created_at desc, id desc limit ?`, [...values, query.limit + 1]);
    return { data: await this.withLines(sql, rows.slice(0, query.limit)), hasMore: rows.length > query.limit };
  }

  private async withLines(sql: Sql, rows: Row[]): Promise<FeeInvoiceRecord[]> {
    if (rows.length === 0) return [];
    const lines = await sql.query<Row>(
      `select * from fee_invoice_lines where invoice_id in (${rows.map(() => '?').join(', ')}) order by invoice_id, position`, rows.map((row) => row.id));
    return rows.map((row) => toRecord(row, lines.filter((line) => line.invoice_id === row.id).map(toLine)));
  }
}
