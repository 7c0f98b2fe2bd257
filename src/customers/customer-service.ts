import type { Orm } from '../db/orm';
import { sqlFor } from '../db/sql';
import type { GatewayRegistry } from '../gateways/payment-gateway';
import { identityForCreate, type IdempotencyContext } from '../idempotency/idempotency-keys';
import type { Logger } from '../logger';
import type { Merchant } from '../merchants/merchant-record';
import { apiErrors } from '../shared/api-error';
import { assertGatewayServesMode } from '../gateways/gateway-mode';
import { newId } from '../shared/ids';
import type { CustomerRecord } from './customer-record';
import { CustomerRepository } from './customer-repository';
import type { CreateCustomerBody } from './customer-schemas';
import { renderCustomer, type CustomerJson } from './customer-view';
import { CardTokenSources } from '../vault/card-token-sources';

/** Told that a customer's default source changed, after the change is committed (e.g. to retry past-due invoices at once). */
export type DefaultSourceChangedHook = (merchant: Merchant, customerId: string) => Promise<void>;

export interface CustomerServiceDeps {
  orm: Orm;
  gateways: GatewayRegistry;
  logger: Logger;
  onDefaultSourceChanged?: DefaultSourceChangedHook;
  /** Vault tokens as sources (by default read from `orm`). */
  cardTokens?: CardTokenSources;
}

/** A merchant's customers and their default payment sources. */
export class CustomerService {
  constructor(private readonly deps: CustomerServiceDeps) {}

  /**
   * Creates a customer, or answers a retried request (same Idempotency-Key, same body) with the customer it made.
   * @throws 400 invalid_source, 400 livemode_gateway_unavailable, 409 idempotency_key_in_use, 422 idempotency_key_reused
   */
  async create(merchant: Merchant, body: CreateCustomerBody, idempotency?: IdempotencyContext): Promise<CustomerJson> {
    await this.checkSource(merchant, body.source);
    const repository = this.repository();
    const request = { email: body.email, name: body.name ?? null, source: body.source, metadata: body.metadata ?? {} };
    const { id, createdAt } = await identityForCreate(this.deps.orm.em.fork(), merchant.id, idempotency, request, {
      id: newId('cus'),
      createdAt: new Date(),
    });
    // A replay writes nothing new; it also completes a first request that claimed the key and stopped before inserting.
    await repository.insertIfAbsent({
      id,
      merchantId: merchant.id,
      email: request.email,
      name: request.name,
      defaultSource: request.source,
      metadata: request.metadata,
      createdAt,
      updatedAt: createdAt,
    });
    return renderCustomer(await this.findOrThrow(merchant, id));
  }

  /**
   * The merchant's customer.
   * @throws 404 resource_missing
   */
  async get(merchant: Merchant, id: string): Promise<CustomerJson> {
    return renderCustomer(await this.findOrThrow(merchant, id));
  }

  /**
   * The merchant's customers, newest first, optionally with one email address.
   * @throws 400 resource_missing
   */
  async list(
    merchant: Merchant,
    query: { email?: string; limit: number; startingAfter?: string },
  ): Promise<{ data: CustomerJson[]; hasMore: boolean }> {
    const repository = this.repository();
    if (query.startingAfter && !(await repository.findForMerchant(merchant.id, query.startingAfter))) {
      throw apiErrors.noSuch('customer', query.startingAfter);
    }
    const page = await repository.listForMerchant(merchant.id, query);
    return { data: page.data.map(renderCustomer), hasMore: page.hasMore };
  }

  /**
   * Makes `source` the customer's default source, then tells `onDefaultSourceChanged`. The change
   * is committed first and stands whatever the hook does: a failing hook is logged, not answered.
   * @throws 400 invalid_source, 400 livemode_gateway_unavailable, 404 resource_missing
   */
  async setDefaultSource(merchant: Merchant, id: string, source: string): Promise<CustomerJson> {
    await this.checkSource(merchant, source);
    const updated = await this.repository().setDefaultSource(merchant.id, id, source, new Date());
    if (!updated) throw apiErrors.notFound('Customer');
    if (this.deps.onDefaultSourceChanged) {
      try {
        await this.deps.onDefaultSourceChanged(merchant, id);
      } catch (error) {
        this.deps.logger.error(
          { err: error, merchantId: merchant.id, customerId: id },
          'onDefaultSourceChanged failed; the new default source stands',
        );
      }
    }
    return renderCustomer(updated);
  }

  /** The stored customer with its default source, or null when the merchant has none with this id. */
  async getForMerchant(merchant: Pick<Merchant, 'id'>, id: string): Promise<CustomerRecord | null> {
    return this.repository().findForMerchant(merchant.id, id);
  }

  // The same check, and the same 400, as POST /v1/payments: an unknown, another merchant's or an expired token is refused before anything is stored.
  private async checkSource(merchant: Pick<Merchant, 'id' | 'livemode'>, source: string): Promise<void> {
    const gateway = this.deps.gateways.get(this.deps.gateways.defaultGateway);
    // A live-mode customer's renewals would charge through this gateway: refused now, as payments are.
    assertGatewayServesMode(gateway, merchant);
    await (this.deps.cardTokens ?? new CardTokenSources(this.deps.orm)).requireUsable(gateway, merchant.id, source);
  }

  private repository(): CustomerRepository {
    return new CustomerRepository(sqlFor(this.deps.orm.em.fork()));
  }

  private async findOrThrow(merchant: Pick<Merchant, 'id'>, id: string): Promise<CustomerRecord> {
    const customer = await this.repository().findForMerchant(merchant.id, id);
    if (!customer) throw apiErrors.notFound('Customer');
    return customer;
  }
}
