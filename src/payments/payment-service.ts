import type { MikroORM } from '@mikro-orm/postgresql';
import type { Client, WorkflowHandle } from '@temporalio/client';
import type { Logger } from '../logger';
import type { GatewayRouter } from '../gateway-accounts/gateway-routing';
import { claimIdempotencyKey, type IdempotencyContext } from '../idempotency/idempotency-keys';
import type { Merchant } from '../merchants/merchant-record';
import { ApiError, apiErrors } from '../shared/api-error';
import { newId } from '../shared/ids';
import { formatMinor, parseMajorAmount } from '../shared/money';
import { PAYMENT_FAILURES, PAYMENT_FAILURE_TYPES } from '../shared/failure-types';
import { AmountMinorKey, CurrencyKey, GatewayKey, MerchantIdKey, PaymentIdKey, PaymentStatusKey } from '../temporal/search-attributes';
import { cancelPaymentUpdate, capturePaymentUpdate, paymentWorkflow, reviewPaymentUpdate } from '../../workflows/payment-workflow';
import type { PaymentRecord } from './payment-record';
import { PaymentRepository } from './payment-repository';
import type { CreatePaymentRequest } from './payment-schemas';
import {
  initialPaymentState,
  MAX_AUTHORIZATION_ATTEMPTS,
  paymentWorkflowId,
  type CancellationReason,
  type FeeSchedule,
  type PaymentState,
  type PaymentStatus,
  type PaymentWorkflowInput,
  type ReviewDecision,
} from './payment-state';
import { paymentRecordFromState, renderPayment, type PaymentJson } from './payment-view';
import type { PaymentDecisionWaiter } from './payment-decisions';
import { startOrJoin } from '../temporal/entity-workflows';
import { sendCommand, stateConflict, type FailureTable } from '../temporal/workflow-failures';
import { sqlFor } from '../db/sql';
import { ReceiptRepository } from '../receipts/receipt-repository';
import { receiptUrl } from '../receipts/receipt-tokens';

export interface PaymentServiceDeps {
  orm: MikroORM;
  temporal: Client;
  taskQueue: string;
  /** Picks the merchant's gateway account (or the sandbox) for each new payment. */
  router: GatewayRouter;
  syncWaitMs: number;
  authorizationTtlMs: number;
  /** How long a payment held for review waits for ops; fixed into each payment's workflow input. */
  reviewTimeoutMs: number;
  /** How long a customer has to authenticate (3-D Secure); fixed into each payment's workflow input. */
  actionTimeoutMs?: number;
  /** For payments that may reach Adyen, whose captures and cancels are confirmed by notification. */
  confirmationTimeoutMs?: number;
  technicalCancelAfterMs?: number;
  defaultFees: FeeSchedule;
  decisions: PaymentDecisionWaiter;
  logger: Logger;
  /** The base of receipt links (PUBLIC_URL); without it payments show no `receipt_url`. */
  publicUrl?: string;
}

/** How the API answers what the payment workflow's capture, cancel and review updates throw (besides a state conflict). */
const PAYMENT_COMMAND_FAILURES: FailureTable = {
  InvalidCaptureAmount: () =>
    apiErrors.invalidParameter('amount', 'Invalid amount: the capture amount must be positive and at most the amount capturable'),
  // A declined capture (or an approved review's declined authorization) answers as the decline it was.
  ...Object.fromEntries(
    PAYMENT_FAILURE_TYPES.map((type) => [type, () => new ApiError(402, PAYMENT_FAILURES[type].message, PAYMENT_FAILURES[type].code)]),
  ),
};

// A lost notification costs at most this long: the row is re-read after each wake-up.
const DECISION_POLL_MS = 1_000;

/** What a payment made on a customer's behalf (a checkout session's attempt) fixes beyond the request. */
export interface CreatePaymentOptions {
  /** The id, chosen by the caller's workflow so that it is known before the payment exists. */
  paymentId?: string;
  /** The checkout's own time for 3-D Secure, instead of PAYMENT_ACTION_TIMEOUT. */
  actionTimeoutMs?: number;
}

export interface PaymentOutcome {
  /** 201 once the workflow decided; 202 while it is still processing (or held while the gateway's outcome is looked up). */
  httpStatus: 201 | 202;
  payment: PaymentJson;
}

/** Creates payments as workflows and reads them back; captures and cancels go to the same workflow as updates. */
export class PaymentService {
  constructor(private readonly deps: PaymentServiceDeps) {}

  /**
   * Starts (or, for a repeated Idempotency-Key, rejoins) the payment's workflow and waits briefly for its decision.
   * @throws 400 livemode_gateway_unavailable, 400 no_gateway_account, 400 resource_missing (gateway_account), 400 invalid_source, 409 idempotency_key_in_use, 422 idempotency_key_reused, 503 engine_unavailable
   */
  async create(
    merchant: Merchant,
    request: CreatePaymentRequest,
    idempotency?: IdempotencyContext,
    options: CreatePaymentOptions = {},
  ): Promise<PaymentOutcome> {
    // A vault token must be this merchant's and unexpired; the workflow then sees only its id, never card data.
    const route = await this.deps.router.route(merchant, {
      currency: request.currency,
      amountMinor: request.amountMinor,
      source: request.source,
      gatewayAccount: request.gatewayAccount,
    });
    const em = this.deps.orm.em.fork();
    let paymentId = options.paymentId ?? newId('pay');
    let createdAt = new Date();
    if (idempotency) {
      const claim = await claimIdempotencyKey(em, {
        merchantId: merchant.id,
        key: idempotency.key,
        method: idempotency.method,
        path: idempotency.path,
        request,
        newResourceId: paymentId,
        now: createdAt,
      });
      paymentId = claim.resourceId;
      createdAt = claim.createdAt;
    }
    // Before the workflow starts, so the address is there when the success event is mailed; a repeat keeps the first.
    if (request.receiptEmail)
      await new ReceiptRepository(sqlFor(em)).rememberRecipient({ paymentId, merchantId: merchant.id, email: request.receiptEmail });
    const input: PaymentWorkflowInput = {
      localDatabaseSteps: true,
      paymentId,
      merchantId: merchant.id,
      amountMinor: request.amountMinor,
      currency: request.currency,
      source: request.source,
      description: request.description,
      metadata: request.metadata,
      captureMethod: request.captureMethod,
      gateway: route.gateway,
      ...(route.gatewayAccount ? { gatewayAccount: route.gatewayAccount } : {}),
      ...(route.fallbacks ? { failover: { accounts: route.fallbacks, maxAttempts: route.maxAttempts ?? MAX_AUTHORIZATION_ATTEMPTS } } : {}),
      ...(route.decision ? { routing: route.decision } : {}),
      ...(request.returnUrl ? { returnUrl: request.returnUrl } : {}),
      createdAt: createdAt.toISOString(),
      authorizationTtlMs: this.deps.authorizationTtlMs,
      reviewTimeoutMs: this.deps.reviewTimeoutMs,
      ...((options.actionTimeoutMs ?? this.deps.actionTimeoutMs) !== undefined
        ? { actionTimeoutMs: options.actionTimeoutMs ?? this.deps.actionTimeoutMs }
        : {}),
      ...(route.gateway === 'adyen' || route.fallbacks?.some((fallback) => fallback.gateway === 'adyen')
        ? { confirmationTimeoutMs: this.deps.confirmationTimeoutMs, technicalCancelAfterMs: this.deps.technicalCancelAfterMs }
        : {}),
      fees: {
        percentBps: merchant.feePercentBps ?? this.deps.defaultFees.percentBps,
        fixedMinor: merchant.feeFixedMinor ?? this.deps.defaultFees.fixedMinor,
      },
    };

    const { closed } = await startOrJoin(this.deps.temporal, paymentWorkflow, {
      workflowId: paymentWorkflowId(paymentId),
      taskQueue: this.deps.taskQueue,
      input,
      searchAttributes: [
        { key: MerchantIdKey, value: merchant.id },
        { key: PaymentIdKey, value: paymentId },
        { key: PaymentStatusKey, value: 'processing' },
        { key: AmountMinorKey, value: input.amountMinor },
        { key: CurrencyKey, value: input.currency },
        { key: GatewayKey, value: input.gateway },
      ],
      summary: `${input.currency} ${formatMinor(input.amountMinor, input.currency)} card payment for merchant ${merchant.id}`,
      details: `Payment ${paymentId} (${input.captureMethod} capture) via ${input.gateway}${input.gatewayAccount ? ` account ${input.gatewayAccount}` : ''}${input.description ? `: ${input.description}` : ''}`,
    });
    if (closed) return this.outcomeFromRecord(merchant, paymentId);
    await new PaymentRepository(em).insertIfAbsent(paymentRecordFromState(initialPaymentState(input), new Date()));
    return this.awaitDecision(merchant, paymentId);
  }

  /**
   * Answers once the workflow has recorded its decision (201), or with `processing` when the wait runs out (202).
   * `requires_review` counts as a decision: the merchant learns at once that the payment waits for ops.
   */
  private async awaitDecision(merchant: Merchant, paymentId: string): Promise<PaymentOutcome> {
    const deadline = Date.now() + this.deps.syncWaitMs;
    for (;;) {
      // Listen before reading, so a decision recorded between the two still wakes us.
      const woken = this.deps.decisions.wait(paymentId, Math.max(0, Math.min(DECISION_POLL_MS, deadline - Date.now())));
      const outcome = await this.outcomeFromRecord(merchant, paymentId);
      if (outcome.httpStatus === 201 || Date.now() >= deadline) return outcome;
      await woken;
    }
  }

  /**
   * The merchant's payment, as the API renders it.
   * @throws 404 resource_missing
   */
  async get(merchant: Merchant, id: string): Promise<PaymentJson> {
    const record = await this.findOrThrow(merchant, id);
    return renderPayment(record, merchant.livemode, await this.receiptUrlOf(record));
  }

  /**
   * The stored payment, as the test helpers that act as the card network read it.
   * @throws 404 resource_missing
   */
  record(merchant: Merchant, id: string): Promise<PaymentRecord> {
    return this.findOrThrow(merchant, id);
  }

  /**
   * The merchant's payments, newest first, after the payment `startingAfter`.
   * @throws 400 resource_missing (an unknown `starting_after`)
   */
  async list(merchant: Merchant, limit: number, startingAfter?: string): Promise<{ data: PaymentJson[]; hasMore: boolean }> {
    const repository = new PaymentRepository(this.deps.orm.em.fork());
    const cursor = startingAfter ? await repository.findForMerchant(merchant.id, startingAfter) : undefined;
    if (startingAfter && !cursor) throw apiErrors.noSuch('payment', startingAfter);
    const page = await repository.listForMerchant(merchant.id, limit, startingAfter);
    const receipts = await this.receiptUrls(page.data.filter((record) => record.status === 'succeeded').map((record) => record.id));
    return {
      data: page.data.map((record) => renderPayment(record, merchant.livemode, receipts.get(record.id) ?? null)),
      hasMore: page.hasMore,
    };
  }

  /**
   * Captures an authorized payment, wholly or partly (`amount` in major units). `updateId` (from an Idempotency-Key) makes a repeat answer as the first.
   * @throws 404 resource_missing, 400 parameter_invalid, 402 the decline's code (card_declined, ...), 409 payment_operation_in_progress, 409 payment_unexpected_state, 503 engine_unavailable
   */
  async capture(merchant: Merchant, id: string, amount?: number | string, updateId?: string): Promise<PaymentJson> {
    const record = await this.findOrThrow(merchant, id);
    let amountMinor: number | undefined;
    if (amount !== undefined) {
      const parsed = parseMajorAmount(amount, record.currency);
      if (!parsed.ok) throw apiErrors.invalidAmount(parsed.reason);
      amountMinor = parsed.minor;
    }
    return {
      ...(await this.command(record, () => this.handleFor(id).executeUpdate(capturePaymentUpdate, { args: [{ amountMinor }], updateId }))),
      livemode: merchant.livemode,
    };
  }

  /**
   * Cancels an authorized payment; the hold on the card is released.
   * @throws 404 resource_missing, 409 payment_operation_in_progress, 409 payment_unexpected_state, 503 engine_unavailable
   */
  async cancel(merchant: Merchant, id: string, reason: CancellationReason, updateId?: string): Promise<PaymentJson> {
    const record = await this.findOrThrow(merchant, id);
    return {
      ...(await this.command(record, () => this.handleFor(id).executeUpdate(cancelPaymentUpdate, { args: [{ reason }], updateId }))),
      livemode: merchant.livemode,
    };
  }

  /**
   * Ops' decision on a payment held for review, found by id across merchants; approval answers once the authorization is decided.
   * @throws 404 resource_missing, 402 the decline's code (card_declined, ...), 409 payment_operation_in_progress, 409 payment_unexpected_state, 503 engine_unavailable
   */
  async review(id: string, decision: ReviewDecision, note?: string, updateId?: string): Promise<PaymentJson> {
    const record = await new PaymentRepository(this.deps.orm.em.fork()).findById(id);
    if (!record) throw apiErrors.notFound('Payment');
    return this.command(
      record,
      () => this.handleFor(id).executeUpdate(reviewPaymentUpdate, { args: [{ decision, reviewer: 'admin_api', note }], updateId }),
      'requires_review',
    );
  }

  private handleFor(paymentId: string): WorkflowHandle<typeof paymentWorkflow> {
    return this.deps.temporal.workflow.getHandle<typeof paymentWorkflow>(paymentWorkflowId(paymentId));
  }

  private command(
    record: PaymentRecord,
    send: () => Promise<PaymentState>,
    needs: PaymentStatus = 'requires_capture',
  ): Promise<PaymentJson> {
    // The workflow refused for the payment's state, or has closed: the record says which answer is right.
    const conflict = async () =>
      stateConflict({
        resource: 'payment',
        status: (await this.findOrThrow({ id: record.merchantId }, record.id)).status,
        needs,
        operations: 'capture, cancel or review',
      });
    return sendCommand({ ...PAYMENT_COMMAND_FAILURES, PaymentUnexpectedState: conflict, WorkflowGone: conflict }, async () => {
      const state = await send();
      // A capture that succeeded has made the receipt's token in the same transaction as its outcome.
      const receipt = state.status === 'succeeded' ? (await this.receiptUrls([state.paymentId])).get(state.paymentId) : undefined;
      return renderPayment(paymentRecordFromState(state, new Date()), false, receipt ?? null);
    });
  }

  private async outcomeFromRecord(merchant: Merchant, paymentId: string): Promise<PaymentOutcome> {
    const record = await this.findOrThrow(merchant, paymentId);
    const payment = renderPayment(record, merchant.livemode, await this.receiptUrlOf(record));
    // Held is undecided too: the gateway's outcome is still being looked up.
    const undecided = payment.status === 'processing' || payment.status === 'held';
    return { httpStatus: undecided ? 202 : 201, payment };
  }

  /** A succeeded payment's receipt link; only succeeded payments have one, so no other costs a query. */
  private async receiptUrlOf(record: PaymentRecord): Promise<string | null> {
    if (record.status !== 'succeeded') return null;
    return (await this.receiptUrls([record.id])).get(record.id) ?? null;
  }

  /** The receipt links of these payments that have one, by payment id. */
  private async receiptUrls(paymentIds: string[]): Promise<Map<string, string>> {
    const { publicUrl } = this.deps;
    if (!publicUrl || paymentIds.length === 0) return new Map();
    const tokens = await new ReceiptRepository(sqlFor(this.deps.orm.em.fork())).tokensFor(paymentIds);
    return new Map([...tokens].map(([paymentId, token]) => [paymentId, receiptUrl(publicUrl, token)]));
  }

  private async findOrThrow(merchant: Pick<Merchant, 'id'>, id: string): Promise<PaymentRecord> {
    const record = await new PaymentRepository(this.deps.orm.em.fork()).findForMerchant(merchant.id, id);
    if (!record) throw apiErrors.notFound('Payment');
    return record;
  }
}
