import type { Orm } from '../db/orm';
import { sqlFor } from '../db/sql';
import type { Merchant } from '../merchants/merchant-entities';
import { ApiError } from '../shared/api-error';
import { InvoiceRepository, type InvoiceFilters } from './invoice-repository';
import { renderInvoice, type InvoiceJson } from './invoice-view';

/** The merchant's side of subscription invoices: retrieve and list. The subscription workflow writes them. */
export class InvoiceQueries {
  constructor(private readonly deps: { orm: Orm }) {}

  async get(merchant: Merchant, id: string): Promise<InvoiceJson> {
    const invoice = await this.repository().findForMerchant(merchant.id, id);
    if (!invoice) throw ApiError.notFound('Invoice not found', 'resource_missing', 'id');
    return renderInvoice(invoice);
  }

  async list(merchant: Merchant, query: InvoiceFilters & { limit: number; startingAfter?: string }): Promise<{ data: InvoiceJson[]; hasMore: boolean }> {
    const repository = this.repository();
    if (query.startingAfter && !(await repository.findForMerchant(merchant.id, query.startingAfter))) {
      throw ApiError.badRequest(`No such invoice: ${query.startingAfter}`, 'resource_missing', 'starting_after');
    }
    const page = await repository.listForMerchant(merchant.id, query);
    return { data: page.data.map(renderInvoice), hasMore: page.hasMore };
  }

  private repository(): InvoiceRepository {
    return new InvoiceRepository(sqlFor(this.deps.orm.em.fork()));
  }
}
