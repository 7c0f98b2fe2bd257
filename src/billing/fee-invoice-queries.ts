import type { Orm } from '../db/orm';
import type { Merchant } from '../merchants/merchant-entities';
import { ApiError } from '../shared/api-error';
import { renderFeeInvoiceReceipt } from './fee-invoice-receipt';
import type { FeeInvoiceRecord } from './fee-invoice-record';
import { FeeInvoiceRepository } from './fee-invoice-repository';
import { renderFeeInvoice, type FeeInvoiceJson } from './fee-invoice-view';

/** The merchant's side of fee invoices: list, retrieve, and download the receipt. */
export class FeeInvoiceQueries {
  private readonly invoices: FeeInvoiceRepository;

  constructor(deps: { orm: Orm }) {
    this.invoices = new FeeInvoiceRepository(deps.orm);
  }

  async list(merchant: Merchant, query: { period?: string; limit: number; startingAfter?: string }): Promise<{ data: FeeInvoiceJson[]; hasMore: boolean }> {
    const cursor = query.startingAfter ? await this.invoices.findForMerchant(merchant.id, query.startingAfter) : undefined;
    if (query.startingAfter && !cursor) throw ApiError.badRequest(`No such fee invoice: ${query.startingAfter}`, 'resource_missing', 'starting_after');
    const page = await this.invoices.listForMerchant(merchant.id, { period: query.period, limit: query.limit, startingAfter: cursor ?? undefined });
    return { data: page.data.map(renderFeeInvoice), hasMore: page.hasMore };
  }

  async get(merchant: Merchant, id: string): Promise<FeeInvoiceJson> {
    return renderFeeInvoice(await this.find(merchant, id));
  }

  /** The printable HTML receipt and the file name it downloads as. */
  async receipt(merchant: Merchant, id: string): Promise<{ fileName: string; html: string }> {
    const invoice = await this.find(merchant, id);
    return { fileName: `${invoice.number}.html`, html: renderFeeInvoiceReceipt(invoice) };
  }

  private async find(merchant: Merchant, id: string): Promise<FeeInvoiceRecord> {
    const invoice = await this.invoices.findForMerchant(merchant.id, id);
    if (!invoice) throw ApiError.notFound('Fee invoice not found', 'resource_missing', 'id');
    return invoice;
  }
}
