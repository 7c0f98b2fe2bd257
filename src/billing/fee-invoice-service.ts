import type { Orm } from '../db/orm';
import { inTransaction, sqlFor, type Sql } from '../db/sql';
import { ledgerAccounts } from '../ledger/ledger-accounts';
import { postJournalEntry } from '../ledger/ledger-service';
import type { Merchant } from '../merchants/merchant-record';
import type { FeeSchedule } from '../payments/payment-state';
import { apiErrors } from '../shared/api-error';
import { newId } from '../shared/ids';
import { periodWindow, type PeriodWindow } from './billing-period';
import { draftFeeInvoices, type FeeInvoiceDraft } from './fee-invoice-lines';
import { renderFeeInvoiceReceipt } from './fee-invoice-receipt';
import type { FeeInvoiceRecord } from './fee-invoice-record';
import { FeeInvoiceRepository, type MerchantToInvoice } from './fee-invoice-repository';
import { renderFeeInvoice, type FeeInvoiceJson } from './fee-invoice-view';

export interface FeeInvoiceServiceDeps {
  orm: Orm;
  /** The platform's default pricing, for merchants without their own (FEE_PERCENT_BPS, FEE_FIXED_MINOR). */
  defaultFees: FeeSchedule;
  /** The clock that decides whether a month is over and dates the invoices. */
  now?: () => Date;
}

/** Why a period cannot be invoiced: not 'YYYY-MM', or not over yet. */
export class FeeInvoicePeriodError extends Error {
  constructor(
    readonly period: string,
    readonly reason: 'invalid' | 'not_ended',
  ) {
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

const DEFAULT_BATCH_SIZE = 100;

/** The invoice number: FI-<period>-<sequence within the period>, gapless per period. */
export function feeInvoiceNumber(period: string, sequence: number): string {
  return `FI-${period}-${String(sequence).padStart(5, '0')}`;
}

/** The monthly fee invoices: issued itemized from the ledger, moving invoiced fees to revenue; and the merchant's side: list, retrieve, download the receipt. */
export class FeeInvoiceService {
  private readonly now: () => Date;

  constructor(private readonly deps: FeeInvoiceServiceDeps) {
    this.now = deps.now ?? (() => new Date());
  }

  /**
   * Issues every merchant's invoices for a finished month; a second run for the same month issues nothing.
   * @throws no ApiError: FeeInvoicePeriodError when the period is invalid or not over (run by the billing workflow)
   */
  async issueFeeInvoices(
    period: string,
    asOf: Date = this.now(),
    options: { merchantIds?: string[] } = {},
  ): Promise<{ period: string; merchantsScanned: number; issued: IssuedFeeInvoice[] }> {
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

  /**
   * Issues the invoices of the next `batchSize` merchants (by id), each merchant in its own transaction.
   * @throws no ApiError: FeeInvoicePeriodError when the period is invalid or not over (run by the billing workflow)
   */
  async issueFeeInvoiceBatch({
    period,
    asOf,
    afterMerchantId = null,
    batchSize = DEFAULT_BATCH_SIZE,
    merchantIds,
  }: FeeInvoiceBatchInput): Promise<FeeInvoiceBatchResult> {
    const window = this.endedWindow(period, asOf);
    const merchants = await this.repository().merchantsToInvoice(afterMerchantId, batchSize + 1, merchantIds);
    const batch = merchants.slice(0, batchSize);
    const issued: IssuedFeeInvoice[] = [];
    for (const merchant of batch) issued.push(...(await this.issueForMerchant(merchant, window, asOf)));
    return {
      merchantsScanned: batch.length,
      issued,
      lastMerchantId: batch.at(-1)?.id ?? afterMerchantId,
      hasMore: merchants.length > batchSize,
    };
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
  private async issueForMerchant(merchant: MerchantToInvoice, window: PeriodWindow, asOf: Date): Promise<IssuedFeeInvoice[]> {
    const pricing: FeeSchedule = {
      percentBps: merchant.fee_percent_bps ?? this.deps.defaultFees.percentBps,
      fixedMinor: merchant.fee_fixed_minor === null ? this.deps.defaultFees.fixedMinor : Number(merchant.fee_fixed_minor),
    };
    return inTransaction(this.deps.orm, async (sql) => {
      const invoices = new FeeInvoiceRepository(sql);
      // The month is over, so these reads are final; most merchants stop here without taking the lock.
      const drafts = draftFeeInvoices(
        await invoices.withheldFees(merchant.id, window, pricing),
        await invoices.disputeFees(merchant.id, window),
        pricing,
      ).filter((draft) => draft.totalMinor > 0);
      if (drafts.length === 0) return [];
      await invoices.lockPeriod(window.period);
      const done = new Set(await invoices.invoicedCurrencies(merchant.id, window.period));
      const issued: IssuedFeeInvoice[] = [];
      for (const draft of drafts) {
        if (!done.has(draft.currency)) issued.push(await this.insertInvoice(sql, invoices, merchant, window, asOf, draft));
      }
      return issued;
    });
  }

  private async insertInvoice(
    sql: Sql,
    invoices: FeeInvoiceRepository,
    merchant: MerchantToInvoice,
    window: PeriodWindow,
    asOf: Date,
    draft: FeeInvoiceDraft,
  ): Promise<IssuedFeeInvoice> {
    const id = newId('fi');
    const next = await invoices.nextSequence(window.period);
    const number = feeInvoiceNumber(window.period, next);
    const { currency, processingFeesMinor } = draft;
    let ledgerEntryId: string | null = null;
    // Dispute fees became revenue when each dispute opened; only the withheld fees move now.
    if (processingFeesMinor > 0) {
      ({ entryId: ledgerEntryId } = await postJournalEntry(sql, {
        idempotencyKey: `fee_invoice:${merchant.id}:${window.period}:${currency}`,
        merchantId: merchant.id,
        sourceType: 'fee_invoice',
        sourceId: id,
        description: `Fee invoice ${number} for ${window.period}`,
        postings: [
          {
            account: ledgerAccounts.merchantFeesPayable(merchant.id),
            merchantId: merchant.id,
            currency,
            amountMinor: -processingFeesMinor,
          },
          { account: ledgerAccounts.feeRevenue(), currency, amountMinor: processingFeesMinor },
        ],
      }));
    }
    await invoices.insert({
      id,
      number,
      sequence: next,
      merchantId: merchant.id,
      merchantName: merchant.name,
      period: window.period,
      periodStart: window.start,
      periodEnd: window.end,
      currency,
      processingFeesMinor,
      disputeFeesMinor: draft.disputeFeesMinor,
      totalMinor: draft.totalMinor,
      ledgerEntryId,
      createdAt: asOf,
      lines: draft.lines,
    });
    return { id, number, merchantId: merchant.id, currency, totalMinor: draft.totalMinor };
  }

  /**
   * The merchant's fee invoices, newest first.
   * @throws 400 resource_missing (starting_after)
   */
  async list(
    merchant: Merchant,
    query: { period?: string; limit: number; startingAfter?: string },
  ): Promise<{ data: FeeInvoiceJson[]; hasMore: boolean }> {
    const invoices = this.repository();
    if (query.startingAfter && !(await invoices.findForMerchant(merchant.id, query.startingAfter)))
      throw apiErrors.noSuch('fee invoice', query.startingAfter);
    const page = await invoices.listForMerchant(merchant.id, {
      period: query.period,
      limit: query.limit,
      startingAfter: query.startingAfter,
    });
    return { data: page.data.map(renderFeeInvoice), hasMore: page.hasMore };
  }

  /**
   * One of the merchant's fee invoices.
   * @throws 404 resource_missing
   */
  async get(merchant: Merchant, id: string): Promise<FeeInvoiceJson> {
    return renderFeeInvoice(await this.find(merchant, id));
  }

  /**
   * The printable HTML receipt and the file name it downloads as.
   * @throws 404 resource_missing
   */
  async receipt(merchant: Merchant, id: string): Promise<{ fileName: string; html: string }> {
    const invoice = await this.find(merchant, id);
    return { fileName: `${invoice.number}.html`, html: renderFeeInvoiceReceipt(invoice) };
  }

  private async find(merchant: Merchant, id: string): Promise<FeeInvoiceRecord> {
    const invoice = await this.repository().findForMerchant(merchant.id, id);
    if (!invoice) throw apiErrors.notFound('Fee invoice');
    return invoice;
  }

  private repository(): FeeInvoiceRepository {
    return new FeeInvoiceRepository(sqlFor(this.deps.orm.em.fork()));
  }
}
