import type { Orm } from '../db/orm';
import { sqlFor } from '../db/sql';
import { identityForCreate, type IdempotencyContext } from '../idempotency/idempotency-keys';
import type { Merchant } from '../merchants/merchant-record';
import { apiErrors } from '../shared/api-error';
import { newId } from '../shared/ids';
import type { PlanRecord } from './plan-record';
import { PlanRepository } from './plan-repository';
import type { CreatePlanRequest } from './plan-schemas';
import { renderPlan, type PlanJson } from './plan-view';

/** A merchant's plans: the prices subscriptions charge every period. */
export class PlanService {
  constructor(private readonly deps: { orm: Orm }) {}

  /**
   * Creates a plan, or answers a retried request (same Idempotency-Key, same body) with the plan it made.
   * @throws 409 idempotency_key_in_use, 422 idempotency_key_reused
   */
  async create(merchant: Merchant, request: CreatePlanRequest, idempotency?: IdempotencyContext): Promise<PlanJson> {
    // The request is hashed in minor units, so 19.9 and "19.90" are one request.
    const { id, createdAt } = await identityForCreate(this.deps.orm.em.fork(), merchant.id, idempotency, request, {
      id: newId('plan'),
      createdAt: new Date(),
    });
    const repository = this.repository();
    await repository.insertIfAbsent({ id, merchantId: merchant.id, ...request, active: true, createdAt });
    return renderPlan(await this.findOrThrow(merchant, id));
  }

  /**
   * The merchant's plan.
   * @throws 404 resource_missing
   */
  async get(merchant: Merchant, id: string): Promise<PlanJson> {
    return renderPlan(await this.findOrThrow(merchant, id));
  }

  /**
   * The merchant's plans, newest first, optionally only active or archived ones.
   * @throws 400 resource_missing
   */
  async list(
    merchant: Merchant,
    query: { active?: boolean; limit: number; startingAfter?: string },
  ): Promise<{ data: PlanJson[]; hasMore: boolean }> {
    const repository = this.repository();
    if (query.startingAfter && !(await repository.findForMerchant(merchant.id, query.startingAfter))) {
      throw apiErrors.noSuch('plan', query.startingAfter);
    }
    const page = await repository.listForMerchant(merchant.id, query);
    return { data: page.data.map(renderPlan), hasMore: page.hasMore };
  }

  /** The stored plan, amounts in minor units, or null when the merchant has none with this id. */
  async getForMerchant(merchant: Pick<Merchant, 'id'>, id: string): Promise<PlanRecord | null> {
    return this.repository().findForMerchant(merchant.id, id);
  }

  private repository(): PlanRepository {
    return new PlanRepository(sqlFor(this.deps.orm.em.fork()));
  }

  private async findOrThrow(merchant: Pick<Merchant, 'id'>, id: string): Promise<PlanRecord> {
    const plan = await this.repository().findForMerchant(merchant.id, id);
    if (!plan) throw apiErrors.notFound('Plan');
    return plan;
  }
}
