import type { MikroORM } from '@mikro-orm/postgresql';
import type { Client } from '@temporalio/client';
import { earlierResourceFor, identityForCreate, type IdempotencyContext } from '../idempotency/idempotency-keys';
import type { Merchant } from '../merchants/merchant-record';
import { readPaymentBalance } from '../payments/payment-balance';
import { PaymentRepository } from '../payments/payment-repository';
import { isWorkflowGone, temporalUnavailable } from '../temporal/temporal-errors';
import { startOrJoin } from '../temporal/entity-workflows';
import { ApiError, apiErrors } from '../shared/api-error';
import { newId } from '../shared/ids';
import { formatMinor, parseMajorAmount } from '../shared/money';
import { AmountMinorKey, CurrencyKey, GatewayKey, MerchantIdKey, PaymentIdKey, RefundStatusKey } from '../temporal/search-attributes';
import { executeUpdateWithin } from '../temporal/wait-for-update';
import { refundWorkflow, waitForRefundDecisionUpdate } from '../../workflows/refund-workflow';
import { RefundRepository } from './refund-repository';
import type { CreateRefundBody } from './refund-schemas';
import { refundWorkflowId, type RefundState, type RefundWorkflowInput } from './refund-state';
import { refundRecordFromState, renderRefund, type RefundJson } from './refund-view';

export interface RefundServiceDeps {
  orm: MikroORM;
  temporal: Client;
  taskQueue: string;
  syncWaitMs: number;
}

/** How the API answers a refund its workflow rejected, by the rejection's code; any other rejection is an amount no longer available. */
const REFUND_REJECTIONS: Record<string, (state: RefundState) => ApiError> = {
  payment_not_refundable: (state) =>
    ApiError.badRequest(state.failureMessage ?? 'This payment cannot be refunded.', 'payment_not_refundable', 'payment_id'),
};

const invalidAmount = () => ApiError.badRequest('Invalid refund amount', 'amount_too_large', 'amount');

/** Refunds as workflows: one `refund-<id>` per refund, decided before the API answers when the gateway is quick. */
export class RefundService {
  constructor(private readonly deps: RefundServiceDeps) {}

  /**
   * Creates a refund, or answers a retried request with the refund it made.
   * @throws 404 resource_missing, 400 parameter_invalid, 400 payment_not_captured, 400 payment_not_refundable, 400 amount_too_large, 409 idempotency_key_in_use, 422 idempotency_key_reused, 503 engine_unavailable
   */
  async create(merchant: Merchant, body: CreateRefundBody, idempotency?: IdempotencyContext): Promise<RefundJson> {
    const em = this.deps.orm.em.fork();
    const payment = await new PaymentRepository(em).findForMerchant(merchant.id, body.payment_id);
    if (!payment) throw apiErrors.notFound('Payment', 'payment_id');
    let requestedMinor: number | undefined;
    if (body.amount !== undefined) {
      const parsed = parseMajorAmount(body.amount, payment.currency);
      if (!parsed.ok) throw apiErrors.invalidAmount(parsed.reason);
      requestedMinor = parsed.minor;
    }
    const request = {
      payment_id: payment.id,
      amount_minor: requestedMinor ?? null,
      reason: body.reason ?? null,
      metadata: body.metadata ?? {},
    };
    // A retried request is answered with what it did, even when nothing is refundable any more.
    const earlierId = await earlierResourceFor(em, merchant.id, idempotency, request);
    if (earlierId) {
      const replayed = await this.replay(merchant, earlierId);
      if (replayed) return replayed;
    }

    if (payment.status === 'requires_capture') {
      throw ApiError.badRequest(
        'This payment has not been captured, so there is nothing to refund; cancel it instead.',
        'payment_not_captured',
        'payment_id',
      );
    }
    if (payment.status !== 'succeeded')
      throw ApiError.badRequest(`A ${payment.status} payment cannot be refunded.`, 'payment_not_refundable', 'payment_id');
    const balance = await readPaymentBalance(em, payment.id, { lock: false });
    const amountMinor = requestedMinor ?? balance?.availableMinor ?? 0;
    if (!balance || amountMinor <= 0 || amountMinor > balance.availableMinor) throw invalidAmount();

    const { id, createdAt } = await identityForCreate(em, merchant.id, idempotency, request, { id: newId('re'), createdAt: new Date() });
    const input: RefundWorkflowInput = {
      refundId: id,
      merchantId: merchant.id,
      paymentId: payment.id,
      amountMinor,
      currency: payment.currency,
      reason: body.reason ?? null,
      metadata: body.metadata ?? {},
      gateway: payment.gateway,
      ...(payment.gatewayAccountId ? { gatewayAccount: payment.gatewayAccountId } : {}),
      paymentGatewayReference: payment.gatewayReference as string,
      createdAt: createdAt.toISOString(),
    };
    return this.run(merchant, input);
  }

  /**
   * The merchant's refund.
   * @throws 404 resource_missing
   */
  async get(merchant: Merchant, id: string): Promise<RefundJson> {
    const refund = await this.repository().findForMerchant(merchant.id, id);
    if (!refund) throw apiErrors.notFound('Refund');
    return renderRefund(refund);
  }

  /**
   * The merchant's refunds, optionally of one payment, newest first after the refund `startingAfter`.
   * @throws 400 resource_missing (an unknown `starting_after`)
   */
  async list(
    merchant: Merchant,
    query: { paymentId?: string; limit: number; startingAfter?: string },
  ): Promise<{ data: RefundJson[]; hasMore: boolean }> {
    const repository = this.repository();
    const cursor = query.startingAfter ? await repository.findForMerchant(merchant.id, query.startingAfter) : undefined;
    if (query.startingAfter && !cursor) throw apiErrors.noSuch('refund', query.startingAfter);
    const page = await repository.listForMerchant(merchant.id, { paymentId: query.paymentId }, query.limit, query.startingAfter);
    return { data: page.data.map(renderRefund), hasMore: page.hasMore };
  }

  private repository(): RefundRepository {
    return new RefundRepository(this.deps.orm.em.fork());
  }

  /** Starts the refund's workflow (or joins it) and answers with its decision, or with `pending` when the gateway is slow. */
  private async run(merchant: Merchant, input: RefundWorkflowInput): Promise<RefundJson> {
    const { handle, closed } = await startOrJoin(this.deps.temporal, refundWorkflow, {
      workflowId: refundWorkflowId(input.refundId),
      taskQueue: this.deps.taskQueue,
      input,
      searchAttributes: [
        { key: MerchantIdKey, value: merchant.id },
        { key: PaymentIdKey, value: input.paymentId },
        { key: RefundStatusKey, value: 'pending' },
        { key: AmountMinorKey, value: input.amountMinor },
        { key: CurrencyKey, value: input.currency },
        { key: GatewayKey, value: input.gateway },
      ],
      summary: `${input.currency} ${formatMinor(input.amountMinor, input.currency)} refund of ${input.paymentId} for merchant ${merchant.id}`,
      details: `Refund ${input.refundId}${input.reason ? ` (${input.reason})` : ''} via ${input.gateway}`,
    });
    if (closed) {
      const replayed = await this.replay(merchant, input.refundId);
      if (replayed) return replayed;
      // Closed with neither a stored refund nor a result (terminated by ops): no answer would be true.
      throw new Error(`${refundWorkflowId(input.refundId)} closed without an outcome`);
    }
    const decided = await executeUpdateWithin(this.deps.temporal, handle, waitForRefundDecisionUpdate, this.deps.syncWaitMs);
    if (decided) return this.answer(decided);
    return (
      (await this.replay(merchant, input.refundId)) ??
      renderRefund(
        refundRecordFromState({ ...input, status: 'pending', gatewayReference: null, failureCode: null, failureMessage: null }, new Date()),
      )
    );
  }

  /** What an earlier request with this refund id produced: the stored refund, or the closed workflow's rejection. Null when no workflow ever ran. */
  private async replay(merchant: Merchant, refundId: string): Promise<RefundJson | null> {
    const stored = await this.repository().findForMerchant(merchant.id, refundId);
    if (stored) return renderRefund(stored);
    const handle = this.deps.temporal.workflow.getHandle<typeof refundWorkflow>(refundWorkflowId(refundId));
    try {
      const description = await handle.describe();
      if (description.status.name === 'COMPLETED') return this.answer(await handle.result());
      const decided = await executeUpdateWithin(this.deps.temporal, handle, waitForRefundDecisionUpdate, this.deps.syncWaitMs);
      return decided ? this.answer(decided) : null;
    } catch (error) {
      if (isWorkflowGone(error)) return null;
      throw temporalUnavailable(error) ?? error;
    }
  }

  /** The decided refund, or the API's answer to a refund its workflow rejected. */
  private answer(state: RefundState): RefundJson {
    if (state.status === 'rejected') throw (REFUND_REJECTIONS[state.failureCode ?? ''] ?? invalidAmount)(state);
    return renderRefund(refundRecordFromState(state, new Date()));
  }
}
