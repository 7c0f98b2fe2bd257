import type { Orm } from '../db/orm';
import { inTransaction, sqlFor, type Sql } from '../db/sql';
import { ledgerAccounts } from '../ledger/ledger-accounts';
import { postJournalEntry } from '../ledger/ledger-service';
import type { FeeSchedule } from '../payments/payment-state';
import { newId } from '../shared/ids';
import { periodWindow, type PeriodWindow } from './billing-period';
import { draftFeeInvoices, type FeeInvoiceDraft } from './fee-invoice-lines';
import { readDisputeFees, readWithheldFees } from './fee-ledger-reads';

export interface FeeInvoiceServiceDeps {
  orm: Orm;
  /** The platform's default pricing, for merchants without their own (FEE_PERCENT_BPS, FEE_FIXED_MINOR). */
  defaultFees: FeeSchedule;
  /** The clock that decides whether a month is over and dates the invoices. */
  now?: () => Date;
}

/** Why a period cannot be invoiced: not 'YYYY-MM', or not over yet. */
export class FeeInvoicePeriodError extends Error {
  constructor(readonly period: string, readonly reason: 'invalid' | 'not_ended') {
    super(reason === 'invalid' ? `Invalid period "${period}": use YYYY-MM` : `The period ${period} has not ended yet`);
    this.name = 'FeeInvoicePeriodError';
  }
}

export interface IssuedFeeInvoice {
  id: string;
  number: string;
  merchantId: string;
  currency: string;
  totalMinor: number;
}

export interface FeeInvoiceBatchInput {
  period: string;
  /** The instant the run issues as of; the month must have ended by then. */
  asOf: Date;
  /** Keyset cursor: merchants after this id. */
  afterMerchantId?: string | null;
  batchSize?: number;
  /** Only these merchants (ops re-running one merchant's invoice); everyone when absent. */
  merchantIds?: string[];
}

export interface FeeInvoiceBatchResult {
  merchantsScanned: number;
  issued: IssuedFeeInvoice[];
  /** The cursor for the next batch. */
  lastMerchantId: string | null;
  hasMore: boolean;
}

interface MerchantRow {
  id: string;
  name: string;
  fee_percent_bps: number | null;
  fee_fixed_minor: string | null;
}

// Serializes issuance within a period (the class of pg_advisory_xact_lock(class, hashtext(period))),
// which keeps invoice numbers gapless and makes concurrent runs queue instead of racing.
const FEE_INVOICE_LOCK_CLASS = 724_100_040;
const DEFAULT_BATCH_SIZE = 100;

/** The invoice number: FI-<period>-<sequence within the period>, gapless per period. */
export function feeInvoiceNumber(period: string, sequence: number): string {
  return `FI-${period}-${String(sequence).padStart(5, '0')}`;
}

/** Issues the monthly fee invoices: itemized from the ledger, and moving invoiced fees to revenue. */
export class FeeInvoiceService {
  private readonly now: () => Date;

  constructor(private readonly deps: FeeInvoiceServiceDeps) {
    this.now = deps.now ?? (() => new Date());
  }

  /** Issues every merchant's invoices for a finished month; a second run for the same month issues nothing. */
  async issueFeeInvoices(period: string, asOf: Date = this.now(), options: { merchantIds?: string[] } = {}): Promise<{ period: string; merchantsScanned: number; issued: IssuedFeeInvoice[] }> {
    const issued: IssuedFeeInvoice[] = [];
    let merchantsScanned = 0;
    let afterMerchantId: string | null = null;
    for (;;) {
      const batch = await this.issueFeeInvoiceBatch({ period, asOf, afterMerchantId, merchantIds: options.merchantIds });
      issued.push(...batch.issued);
      merchantsScanned += batch.merchantsScanned;
      afterMerchantId = batch.lastMerchantId;
      if (!batch.hasMore) return { period, merchantsScanned, issued };
    }
  }

  /** Issues the invoices of the next `batchSize` merchants (by id), each merchant in its own transaction. */
  async issueFeeInvoiceBatch({ period, asOf, afterMerchantId = null, batchSize = DEFAULT_BATCH_SIZE, merchantIds }: FeeInvoiceBatchInput): Promise<FeeInvoiceBatchResult> {
    const window = this.endedWindow(period, asOf);
    const merchants = await sqlFor(this.deps.orm.em.fork()).query<MerchantRow>(
      // The ORM's driver expands an array parameter into a list, hence `in (?)`; an empty list selects nobody.
      `select id, name, fee_percent_bps, fee_fixed_minor from merchants where id > ? ${merchantIds ? (merchantIds.length > 0 ? 'and id in (?)' : 'and false') : ''} order by id limit ?`,
      merchantIds?.length ? [afterMerchantId ?? '', merchantIds, batchSize + 1] : [afterMerchantId ?? '', batchSize + 1]);
    const batch = merchants.slice(0, batchSize);
    const issued: IssuedFeeInvoice[] = [];
    for (const merchant of batch) issued.push(...await this.issueForMerchant(merchant, window, asOf));
    return { merchantsScanned: batch.length, issued, lastMerchantId: batch.at(-1)?.id ?? afterMerchantId, hasMore: merchants.length > batchSize };
  }

  private endedWindow(period: string, asOf: Date): PeriodWindow {
    const window = periodWindow(period);
    if (!window) throw new FeeInvoicePeriodError(period, 'invalid');
    if (asOf.getTime() < window.end.getTime()) throw new FeeInvoicePeriodError(period, 'not_ended');
    return window;
  }

  /**
   * One transaction per merchant: for each currency with fees and no invoice yet, the invoice, its
   * lines and the entry moving the withheld fees from fees payable to fee revenue commit together.
   */
  private async issueForMerchant(merchant: MerchantRow, window: PeriodWindow, asOf: Date): Promise<IssuedFeeInvoice[]> {
    const pricing: FeeSchedule = {
      percentBps: merchant.fee_percent_bps ?? this.deps.defaultFees.percentBps,
      fixedMinor: merchant.fee_fixed_minor === null ? this.deps.defaultFees.fixedMinor : Number(merchant.fee_fixed_minor),
    };
    return inTransaction(this.deps.orm, async (sql) => {
      // The month is over, so these reads are final; most merchants stop here without taking the lock.
      const drafts = draftFeeInvoices(await readWithheldFees(sql, merchant.id, window, pricing), await readDisputeFees(sql, merchant.id, window), pricing)
        .filter((draft) => draft.totalMinor > 0);
      if (drafts.length === 0) return [];
      await sql.query(`select pg_advisory_xact_lock(?::int, hashtext(?))`, [FEE_INVOICE_LOCK_CLASS, window.period]);
      const invoiced = await sql.query<{ currency: string }>(`select currency from fee_invoices where merchant_id = ? and period = ?`, [merchant.id, window.period]);
      const done = new Set(invoiced.map((row) => row.currency.trim()));
      const issued: IssuedFeeInvoice[] = [];
      for (const draft of drafts) {
        if (!done.has(draft.currency)) issued.push(await this.insertInvoice(sql, merchant, window, asOf, draft));
      }
      return issued;
    });
  }

  private async insertInvoice(sql: Sql, merchant: MerchantRow, window: PeriodWindow, asOf: Date, draft: FeeInvoiceDraft): Promise<IssuedFeeInvoice> {
    const id = newId('fi');
    const [{ next }] = await sql.query<{ next: number }>(`select coalesce(max(sequence), 0) + 1 as next from fee_invoices where period = ?`, [window.period]);
    const number = feeInvoiceNumber(window.period, next);
    const { currency, processingFeesMinor } = draft;
    let ledgerEntryId: string | null = null;
    // Dispute fees became revenue when each dispute opened; only the withheld fees move now.
    if (processingFeesMinor > 0) {
      ({ entryId: ledgerEntryId } = await postJournalEntry(sql, {
        idempotencyKey: `fee_invoice:${merchant.id}:${window.period}:${currency}`,
        merchantId: merchant.id, sourceType: 'fee_invoice', sourceId: id,
        description: `Fee invoice ${number} for ${window.period}`,
        postings: [
          { account: ledgerAccounts.merchantFeesPayable(merchant.id), merchantId: merchant.id, currency, amountMinor: -processingFeesMinor },
          { account: ledgerAccounts.feeRevenue(), currency, amountMinor: processingFeesMinor },
        ],
      }));
    }
    await sql.query(
      `insert into fee_invoices (id, number, sequence, merchant_id, merchant_name, period, period_start, period_end, currency, status,
                                 processing_fees_minor, dispute_fees_minor, total_minor, ledger_entry_id, created_at)
       values (?, ?, ?, ?, ?, ?, ?, ?, ?, 'paid', ?, ?, ?, ?, ?)`,
      [id, number, next, merchant.id, merchant.name, window.period, window.start, window.end, currency,
        processingFeesMinor, draft.disputeFeesMinor, draft.totalMinor, ledgerEntryId, asOf]);
    const values = draft.lines.flatMap((line) => [id, line.position, line.kind, line.description, line.quantity, line.volumeMinor,
      line.feePercentBps, line.feeFixedMinor, line.unitDescription, line.amountMinor]);
    await sql.query(
      `insert into fee_invoice_lines (invoice_id, position, kind, description, quantity, volume_minor, fee_percent_bps, fee_fixed_minor, unit_description, amount_minor)
       values ${draft.lines.map(() => '(?, ?, ?, ?, ?, ?, ?, ?, ?, ?)').join(', ')}`, values);
    return { id, number, merchantId: merchant.id, currency, totalMinor: draft.totalMinor };
  }
}
