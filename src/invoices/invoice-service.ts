import type { Orm } from '../db/orm';
import { sqlFor } from '../db/sql';
import type { Merchant } from '../merchants/merchant-record';
import { apiErrors } from '../shared/api-error';
import { InvoiceRepository, type InvoiceFilters } from './invoice-repository';
import { renderInvoice, type InvoiceJson } from './invoice-view';

/** The merchant's side of subscription invoices: retrieve and list. The subscription workflow writes them. */
export class InvoiceService {
  constructor(private readonly deps: { orm: Orm }) {}

  /**
   * The merchant's invoice.
   * @throws 404 resource_missing
   */
  async get(merchant: Merchant, id: string): Promise<InvoiceJson> {
    const invoice = await this.repository().findForMerchant(merchant.id, id);
    if (!invoice) throw apiErrors.notFound('Invoice');
    return renderInvoice(invoice);
  }

  /**
   * The merchant's invoices, newest first, optionally of one subscription or customer, or in one status.
   * @throws 400 resource_missing
   */
  async list(
    merchant: Merchant,
    query: InvoiceFilters & { limit: number; startingAfter?: string },
  ): Promise<{ data: InvoiceJson[]; hasMore: boolean }> {
    const repository = this.repository();
    if (query.startingAfter && !(await repository.findForMerchant(merchant.id, query.startingAfter))) {
      throw apiErrors.noSuch('invoice', query.startingAfter);
    }
    const page = await repository.listForMerchant(merchant.id, query);
    return { data: page.data.map(renderInvoice), hasMore: page.hasMore };
  }

  private repository(): InvoiceRepository {
    return new InvoiceRepository(sqlFor(this.deps.orm.em.fork()));
  }
}
