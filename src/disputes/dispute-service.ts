import { createHash } from 'node:crypto';
import type { MikroORM } from '@mikro-orm/postgresql';
import type { Client, WorkflowHandle } from '@temporalio/client';
import type { Merchant } from '../merchants/merchant-record';
import { readPaymentBalance } from '../payments/payment-balance';
import { PaymentRepository } from '../payments/payment-repository';
import { startOrJoin } from '../temporal/entity-workflows';
import { sendCommand, stateConflict } from '../temporal/workflow-failures';
import { ApiError, apiErrors } from '../shared/api-error';
import { formatMinor } from '../shared/money';
import { AmountMinorKey, CurrencyKey, DisputeStatusKey, GatewayKey, MerchantIdKey, PaymentIdKey } from '../temporal/search-attributes';
import { executeUpdateWithin } from '../temporal/wait-for-update';
import {
  acceptDisputeUpdate,
  disputeWorkflow,
  resolveDisputeUpdate,
  submitEvidenceUpdate,
  waitForDisputeOpenedUpdate,
} from '../../workflows/dispute-workflow';
import type { DisputeRecord } from './dispute-record';
import { DisputeRepository } from './dispute-repository';
import {
  DISPUTE_REASONS,
  disputeWorkflowId,
  type DisputeReason,
  type DisputeState,
  type DisputeStatus,
  type SubmitEvidenceRequest,
} from './dispute-state';
import { renderDispute, type DisputeJson } from './dispute-view';

export interface DisputeServiceDeps {
  orm: MikroORM;
  temporal: Client;
  taskQueue: string;
  syncWaitMs: number;
  feeMinor: number;
  evidenceWindowMs: number;
}

export interface NetworkDispute {
  gateway: string;
  /** The gateway's id of the disputed charge. */
  charge: string;
  amountMinor?: number;
  reason: string;
  /** The network's id of the dispute: redelivered events carry the same one. */
  networkReference: string;
}

const notDisputable = () =>
  ApiError.badRequest(
    'Nothing of this payment is left to dispute: it was fully refunded or is already disputed.',
    'payment_not_disputable',
    'payment_id',
  );

/** Disputes as workflows: opened by the card network, answered by the merchant, decided by the network. */
export class DisputeService {
  constructor(private readonly deps: DisputeServiceDeps) {}

  /** The dispute id for a network reference, stable so a redelivered event finds the same dispute. */
  static disputeIdFor(gateway: string, networkReference: string): string {
    const digest = createHash('sha256').update(`${gateway}:${networkReference}`).digest();
    return `dp_${BigInt(`0x${digest.subarray(0, 16).toString('hex')}`)
      .toString(36)
      .padStart(22, '0')
      .slice(0, 22)}`;
  }

  /**
   * Opens the dispute the network reported (or finds the one an earlier delivery opened).
   * @throws 404 resource_missing, 400 payment_not_disputable, 503 dispute_pending, 503 engine_unavailable
   */
  async openFromNetwork(dispute: NetworkDispute): Promise<DisputeJson> {
    const em = this.deps.orm.em.fork();
    const payment = await new PaymentRepository(em).findByGatewayReference(dispute.gateway, dispute.charge);
    if (!payment) throw ApiError.notFound(`No payment for charge ${dispute.charge}`, 'resource_missing', 'charge');
    const disputeId = DisputeService.disputeIdFor(dispute.gateway, dispute.networkReference);
    const existing = await new DisputeRepository(em).findById(disputeId);
    if (existing) return renderDispute(existing);
    const balance = await readPaymentBalance(em, payment.id, { lock: false });
    if (!balance || balance.status !== 'succeeded' || balance.availableMinor <= 0) throw notDisputable();

    const createdAt = new Date();
    const input = {
      disputeId,
      merchantId: payment.merchantId,
      paymentId: payment.id,
      currency: payment.currency,
      gateway: dispute.gateway,
      amountMinor: Math.min(dispute.amountMinor ?? balance.availableMinor, balance.availableMinor),
      feeMinor: this.deps.feeMinor,
      reason: ((DISPUTE_REASONS as readonly string[]).includes(dispute.reason) ? dispute.reason : 'general') as DisputeReason,
      networkReference: dispute.networkReference,
      evidenceDueBy: new Date(createdAt.getTime() + this.deps.evidenceWindowMs).toISOString(),
      createdAt: createdAt.toISOString(),
    };
    // A closed workflow (an earlier delivery's dispute, already decided) still answers with its record below.
    const { handle } = await startOrJoin(this.deps.temporal, disputeWorkflow, {
      workflowId: disputeWorkflowId(disputeId),
      taskQueue: this.deps.taskQueue,
      input,
      searchAttributes: [
        { key: MerchantIdKey, value: input.merchantId },
        { key: PaymentIdKey, value: input.paymentId },
        { key: DisputeStatusKey, value: 'needs_response' },
        { key: AmountMinorKey, value: input.amountMinor },
        { key: CurrencyKey, value: input.currency },
        { key: GatewayKey, value: input.gateway },
      ],
      summary: `${input.currency} ${formatMinor(input.amountMinor, input.currency)} dispute (${input.reason}) of ${input.paymentId} for merchant ${input.merchantId}`,
      details: `Dispute ${disputeId}, network reference ${input.networkReference}; evidence due by ${input.evidenceDueBy}`,
    });
    const opened = await executeUpdateWithin(this.deps.temporal, handle, waitForDisputeOpenedUpdate, this.deps.syncWaitMs);
    if (opened?.status === 'rejected') throw notDisputable();
    const stored = await this.repository().findById(disputeId);
    if (!stored) throw ApiError.unavailable('The dispute is being recorded; retry shortly', 'dispute_pending');
    return renderDispute(stored);
  }

  /**
   * Applies the network's decision to the dispute with this network reference.
   * @throws 404 resource_missing, 409 dispute_unexpected_state, 409 dispute_operation_in_progress, 503 engine_unavailable
   */
  async resolveFromNetwork(gateway: string, networkReference: string, outcome: 'won' | 'lost'): Promise<DisputeJson> {
    const disputeId = DisputeService.disputeIdFor(gateway, networkReference);
    const dispute = await this.repository().findById(disputeId);
    if (!dispute) throw ApiError.notFound(`No dispute for network reference ${networkReference}`, 'resource_missing', 'dispute');
    // A redelivered decision finds the dispute already closed with it: nothing to do.
    if (dispute.status === outcome) return renderDispute(dispute);
    return this.command(dispute, () => this.handleFor(disputeId).executeUpdate(resolveDisputeUpdate, { args: [{ outcome }] }));
  }

  /**
   * One of the merchant's disputes.
   * @throws 404 resource_missing
   */
  async get(merchant: Merchant, id: string): Promise<DisputeJson> {
    return renderDispute(await this.findOrThrow(merchant.id, id));
  }

  /**
   * The record, for the test helpers that act as the network.
   * @throws 404 resource_missing
   */
  async findForMerchant(merchant: Merchant, id: string): Promise<DisputeRecord> {
    return this.findOrThrow(merchant.id, id);
  }

  /**
   * A merchant's disputes, newest first, optionally of one status or one payment.
   * @throws 400 resource_missing (starting_after)
   */
  async list(
    merchant: Merchant,
    query: { status?: DisputeStatus; paymentId?: string; limit: number; startingAfter?: string },
  ): Promise<{ data: DisputeJson[]; hasMore: boolean }> {
    const disputes = this.repository();
    const cursor = query.startingAfter ? await disputes.findForMerchant(merchant.id, query.startingAfter) : undefined;
    if (query.startingAfter && !cursor) throw apiErrors.noSuch('dispute', query.startingAfter);
    const page = await disputes.listForMerchant(
      merchant.id,
      { status: query.status, paymentId: query.paymentId },
      query.limit,
      query.startingAfter,
    );
    return { data: page.data.map(renderDispute), hasMore: page.hasMore };
  }

  /**
   * Saves draft evidence, or submits it once for review.
   * @throws 404 resource_missing, 409 dispute_unexpected_state, 409 dispute_operation_in_progress, 503 engine_unavailable
   */
  async submitEvidence(merchant: Merchant, id: string, request: SubmitEvidenceRequest, updateId?: string): Promise<DisputeJson> {
    const dispute = await this.findOrThrow(merchant.id, id);
    return this.command(dispute, () => this.handleFor(id).executeUpdate(submitEvidenceUpdate, { args: [request], updateId }));
  }

  /**
   * The merchant accepts the dispute; it is lost.
   * @throws 404 resource_missing, 409 dispute_unexpected_state, 409 dispute_operation_in_progress, 503 engine_unavailable
   */
  async accept(merchant: Merchant, id: string, updateId?: string): Promise<DisputeJson> {
    const dispute = await this.findOrThrow(merchant.id, id);
    return this.command(dispute, () => this.handleFor(id).executeUpdate(acceptDisputeUpdate, { updateId }));
  }

  private repository(): DisputeRepository {
    return new DisputeRepository(this.deps.orm.em.fork());
  }

  private handleFor(disputeId: string): WorkflowHandle<typeof disputeWorkflow> {
    return this.deps.temporal.workflow.getHandle<typeof disputeWorkflow>(disputeWorkflowId(disputeId));
  }

  private command(dispute: DisputeRecord, send: () => Promise<DisputeState>): Promise<DisputeJson> {
    // Refused for the dispute's state, or closed: the record says which answer is right.
    const conflict = async () =>
      stateConflict({
        resource: 'dispute',
        status: (await this.findOrThrow(dispute.merchantId, dispute.id)).status,
        needs: 'needs_response',
        operations: 'change',
      });
    return sendCommand({ DisputeUnexpectedState: conflict, WorkflowGone: conflict }, async () => {
      await send();
      return renderDispute(await this.findOrThrow(dispute.merchantId, dispute.id));
    });
  }

  private async findOrThrow(merchantId: string, id: string): Promise<DisputeRecord> {
    const dispute = await this.repository().findForMerchant(merchantId, id);
    if (!dispute) throw apiErrors.notFound('Dispute');
    return dispute;
  }
}
