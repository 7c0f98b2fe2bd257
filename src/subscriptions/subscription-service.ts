import type { Client, WorkflowHandle } from '@temporalio/client';
import type { Orm } from '../db/orm';
import { inTransaction } from '../db/sql';
import type { CustomerService } from '../customers/customer-service';
import type { GatewayRegistry } from '../gateways/payment-gateway';
import { assertGatewayServesMode } from '../gateways/gateway-mode';
import { identityForCreate, type IdempotencyContext } from '../idempotency/idempotency-keys';
import type { Logger } from '../logger';
import type { Merchant } from '../merchants/merchant-record';
import type { PlanService } from '../plans/plan-service';
import type { PlanRecord } from '../plans/plan-record';
import { ApiError, apiErrors } from '../shared/api-error';
import { newId } from '../shared/ids';
import { formatMinor } from '../shared/money';
import { AmountMinorKey, CurrencyKey, CustomerIdKey, MerchantIdKey, SubscriptionStatusKey } from '../temporal/search-attributes';
import { isWorkflowGone } from '../temporal/temporal-errors';
import { startOrJoin } from '../temporal/entity-workflows';
import { sendCommand, type FailureTable } from '../temporal/workflow-failures';
import { executeUpdateWithin } from '../temporal/wait-for-update';
import { describeInterval } from './billing-periods';
import { initialSubscriptionState } from './subscription-billing';
import { SubscriptionRepository } from './subscription-repository';
import type { CreateSubscriptionBody } from './subscription-schemas';
import {
  subscriptionWorkflowId,
  type PlanTerms,
  type SubscriptionState,
  type SubscriptionStatus,
  type SubscriptionWorkflowInput,
} from './subscription-state';
import { renderSubscriptionState, type SubscriptionJson } from './subscription-view';
import {
  cancelSubscriptionUpdate as cancelUpdate,
  changePlanUpdate as changePlan,
  pauseSubscriptionUpdate as pauseUpdate,
  paymentMethodUpdatedSignal as paymentMethodUpdated,
  resumeSubscriptionUpdate as resumeUpdate,
  subscriptionWorkflow,
  waitForSubscriptionStartUpdate as waitForStart,
} from '../../workflows/subscription-workflow';

const DAY_MS = 24 * 3600 * 1000;

export interface SubscriptionServiceDeps {
  orm: Orm;
  temporal: Client;
  taskQueue: string;
  customers: CustomerService;
  plans: PlanService;
  gateways: GatewayRegistry;
  logger: Logger;
  syncWaitMs: number;
  defaultFees: { percentBps: number; fixedMinor: number };
  settings: { dunningRetryDays: number[]; whenDunningExhausted: 'canceled' | 'unpaid'; cyclesPerRun: number; timeScale: number };
}

/** How the API answers what the subscription workflow's updates throw. */
const SUBSCRIPTION_COMMAND_FAILURES: FailureTable = {
  SubscriptionCanceled: ({ message }) => new ApiError(409, message, 'subscription_canceled'),
  SubscriptionNotActive: ({ message }) => new ApiError(409, message, 'subscription_unexpected_state'),
  SubscriptionNotPaused: ({ message }) => new ApiError(409, message, 'subscription_unexpected_state'),
  SamePlan: ({ message }) => apiErrors.invalidParameter('plan', `Invalid plan: ${message}`),
  PlanCurrencyMismatch: ({ message }) => apiErrors.invalidParameter('plan', `Invalid plan: ${message}`),
  PlanIntervalMismatch: ({ message }) => apiErrors.invalidParameter('plan', `Invalid plan: ${message}`),
};

function planTerms(plan: PlanRecord): PlanTerms {
  return {
    planId: plan.id,
    name: plan.name,
    amountMinor: plan.amountMinor,
    currency: plan.currency,
    interval: plan.interval,
    intervalCount: plan.intervalCount,
  };
}

/**
 * Subscriptions: each one is an entity workflow (subscription-<id>) that bills it for its whole
 * life; this service starts it, sends it the merchant's changes as updates, and reads its projection.
 */
export class SubscriptionService {
  constructor(private readonly deps: SubscriptionServiceDeps) {}

  /**
   * Subscribes a customer to a plan: starts (or, on a retried request, joins) its workflow and answers once it has started.
   * @throws 400 resource_missing, 400 plan_inactive, 400 livemode_gateway_unavailable, 409 idempotency_key_in_use, 422 idempotency_key_reused, 503 engine_unavailable
   */
  async create(merchant: Merchant, body: CreateSubscriptionBody, idempotency?: IdempotencyContext): Promise<SubscriptionJson> {
    const customer = await this.deps.customers.getForMerchant(merchant, body.customer);
    if (!customer) throw apiErrors.noSuch('customer', body.customer, 'customer');
    const plan = await this.deps.plans.getForMerchant(merchant, body.plan);
    if (!plan) throw apiErrors.noSuch('plan', body.plan, 'plan');
    if (!plan.active) throw ApiError.badRequest(`Plan ${plan.id} is not active`, 'plan_inactive', 'plan');
    // Renewals charge through the deployment's default gateway, which must serve the merchant's mode.
    const gateway = this.deps.gateways.get(this.deps.gateways.defaultGateway);
    assertGatewayServesMode(gateway, merchant);

    const request = {
      customer: body.customer,
      plan: body.plan,
      trial: body.trial_period_days ?? null,
      cancel: body.cancel_at_period_end ?? false,
      metadata: body.metadata ?? {},
    };
    const { id: subscriptionId, createdAt } = await identityForCreate(this.deps.orm.em.fork(), merchant.id, idempotency, request, {
      id: newId('sub'),
      createdAt: new Date(),
    });
    const trialDays = body.trial_period_days ?? plan.trialPeriodDays ?? 0;
    const { settings } = this.deps;
    const input: SubscriptionWorkflowInput = {
      subscriptionId,
      merchantId: merchant.id,
      customerId: customer.id,
      plan: planTerms(plan),
      createdAt: createdAt.toISOString(),
      trialEnd: trialDays > 0 ? new Date(createdAt.getTime() + trialDays * DAY_MS).toISOString() : null,
      cancelAtPeriodEnd: body.cancel_at_period_end ?? false,
      metadata: body.metadata ?? {},
      dunning: { retryOffsetsMs: settings.dunningRetryDays.map((days) => days * DAY_MS), whenExhausted: settings.whenDunningExhausted },
      fees: {
        percentBps: merchant.feePercentBps ?? this.deps.defaultFees.percentBps,
        fixedMinor: merchant.feeFixedMinor ?? this.deps.defaultFees.fixedMinor,
      },
      gateway: gateway.name,
      clock: { scale: settings.timeScale, realOrigin: createdAt.getTime(), virtualOrigin: createdAt.getTime() },
      cyclesPerRun: settings.cyclesPerRun,
    };
    // A retried request whose workflow already finished is answered from the stored subscription below.
    await startOrJoin(this.deps.temporal, subscriptionWorkflow, {
      workflowId: subscriptionWorkflowId(subscriptionId),
      taskQueue: this.deps.taskQueue,
      input,
      searchAttributes: [
        { key: MerchantIdKey, value: merchant.id },
        { key: CustomerIdKey, value: customer.id },
        { key: SubscriptionStatusKey, value: input.trialEnd ? 'trialing' : 'incomplete' },
        { key: AmountMinorKey, value: plan.amountMinor },
        { key: CurrencyKey, value: plan.currency },
      ],
      summary: `${plan.currency} ${formatMinor(plan.amountMinor, plan.currency)} / ${describeInterval(plan.interval, plan.intervalCount)} (${plan.name}) for ${customer.id} of merchant ${merchant.id}`,
    });
    const started = await executeUpdateWithin(this.deps.temporal, this.handle(subscriptionId), waitForStart, this.deps.syncWaitMs);
    if (started) return renderSubscriptionState(started);
    return (await this.find(merchant, subscriptionId)) ?? renderSubscriptionState(notYetStarted(input));
  }

  /**
   * The merchant's subscription as last recorded.
   * @throws 404 resource_missing
   */
  async get(merchant: Merchant, id: string): Promise<SubscriptionJson> {
    const found = await this.find(merchant, id);
    if (!found) throw apiErrors.notFound('Subscription');
    return found;
  }

  /**
   * The merchant's subscriptions, newest first, optionally of one customer or in one status.
   * @throws 400 resource_missing
   */
  async list(
    merchant: Merchant,
    query: { customer?: string; status?: SubscriptionStatus; limit: number; starting_after?: string },
  ): Promise<{ data: SubscriptionJson[]; hasMore: boolean }> {
    // The cursor check and the page run in one transaction.
    const page = await inTransaction(this.deps.orm, async (sql) => {
      const repository = new SubscriptionRepository(sql);
      if (query.starting_after && !(await repository.existsForMerchant(merchant.id, query.starting_after))) {
        throw apiErrors.noSuch('subscription', query.starting_after);
      }
      return repository.listForMerchant(merchant.id, {
        customerId: query.customer,
        status: query.status,
        limit: query.limit,
        startingAfter: query.starting_after,
      });
    });
    return { data: page.data.map(renderSubscriptionState), hasMore: page.hasMore };
  }

  /**
   * Cancels now, or at the end of the period. `updateId` (from an Idempotency-Key) on these changes makes a repeat answer as the first.
   * @throws 404 resource_missing, 409 subscription_canceled, 409 subscription_unexpected_state, 503 engine_unavailable
   */
  cancel(merchant: Merchant, id: string, atPeriodEnd: boolean, updateId?: string): Promise<SubscriptionJson> {
    return this.command(merchant, id, (handle) => handle.executeUpdate(cancelUpdate, { args: [{ atPeriodEnd }], updateId }));
  }

  /**
   * Pauses billing.
   * @throws 404 resource_missing, 409 subscription_canceled, 409 subscription_unexpected_state, 503 engine_unavailable
   */
  pause(merchant: Merchant, id: string, updateId?: string): Promise<SubscriptionJson> {
    return this.command(merchant, id, (handle) => handle.executeUpdate(pauseUpdate, { updateId }));
  }

  /**
   * Resumes billing.
   * @throws 404 resource_missing, 409 subscription_canceled, 409 subscription_unexpected_state, 503 engine_unavailable
   */
  resume(merchant: Merchant, id: string, updateId?: string): Promise<SubscriptionJson> {
    return this.command(merchant, id, (handle) => handle.executeUpdate(resumeUpdate, { updateId }));
  }

  /**
   * PATCH: a plan change (prorated) and/or cancel at period end.
   * @throws 400 resource_missing, 400 plan_inactive, 400 parameter_invalid, 404 resource_missing, 409 subscription_canceled, 409 subscription_unexpected_state, 503 engine_unavailable
   */
  async update(
    merchant: Merchant,
    id: string,
    changes: { plan?: string; cancel_at_period_end?: boolean },
    updateId?: string,
  ): Promise<SubscriptionJson> {
    let result: SubscriptionJson | undefined;
    if (changes.plan !== undefined) {
      const plan = await this.deps.plans.getForMerchant(merchant, changes.plan);
      if (!plan) throw apiErrors.noSuch('plan', changes.plan, 'plan');
      if (!plan.active) throw ApiError.badRequest(`Plan ${plan.id} is not active`, 'plan_inactive', 'plan');
      result = await this.command(merchant, id, (handle) =>
        handle.executeUpdate(changePlan, { args: [{ plan: planTerms(plan) }], updateId: updateId && `${updateId}:plan` }),
      );
    }
    if (changes.cancel_at_period_end === true) result = await this.cancel(merchant, id, true, updateId && `${updateId}:cancel`);
    if (changes.cancel_at_period_end === false) {
      throw apiErrors.invalidParameter(
        'cancel_at_period_end',
        'Invalid cancel_at_period_end: a scheduled cancellation cannot be undone yet; create a new subscription',
      );
    }
    return result ?? this.get(merchant, id);
  }

  /** The customer has a new card: every subscription of theirs waiting on a failed invoice tries again now. */
  async retryPastDue(merchant: Merchant, customerId: string): Promise<void> {
    const ids = await inTransaction(this.deps.orm, (sql) => new SubscriptionRepository(sql).idsAwaitingPayment(merchant.id, customerId));
    for (const id of ids) {
      await this.handle(id)
        .signal(paymentMethodUpdated)
        .catch((error: unknown) => {
          if (!isWorkflowGone(error))
            this.deps.logger.error({ err: error, subscriptionId: id }, 'could not tell a subscription about its new payment method');
        });
    }
  }

  private async find(merchant: Pick<Merchant, 'id'>, id: string): Promise<SubscriptionJson | undefined> {
    const state = await inTransaction(this.deps.orm, (sql) => new SubscriptionRepository(sql).findForMerchant(merchant.id, id));
    return state ? renderSubscriptionState(state) : undefined;
  }

  private handle(id: string): WorkflowHandle<typeof subscriptionWorkflow> {
    return this.deps.temporal.workflow.getHandle<typeof subscriptionWorkflow>(subscriptionWorkflowId(id));
  }

  private async command(
    merchant: Merchant,
    id: string,
    send: (handle: WorkflowHandle<typeof subscriptionWorkflow>) => Promise<SubscriptionState>,
  ): Promise<SubscriptionJson> {
    const current = await this.get(merchant, id);
    return sendCommand(
      {
        ...SUBSCRIPTION_COMMAND_FAILURES,
        // Only an ended subscription's workflow closes.
        WorkflowGone: () => new ApiError(409, `The subscription is ${current.status}.`, 'subscription_canceled'),
      },
      async () => renderSubscriptionState(await send(this.handle(id))),
    );
  }
}

/** What a subscription whose workflow has not yet confirmed its start shows: its first state, with nothing begun. */
function notYetStarted(input: SubscriptionWorkflowInput): SubscriptionState {
  return {
    ...initialSubscriptionState(input),
    status: 'incomplete',
    currentPeriodStart: null,
    currentPeriodEnd: null,
    trialStart: null,
    nextBillingAt: input.createdAt,
  };
}
