import type { MikroORM } from '@mikro-orm/postgresql';
import type { Client } from '@temporalio/client';
import { WorkflowUpdateFailedError } from '@temporalio/client';
import { BankAccountRepository } from '../bank-accounts/bank-account-repository';
import { GatewayAccountRepository } from '../gateway-accounts/gateway-account-repository';
import type { BankAccountRecord } from '../bank-accounts/bank-account-record';
import { inTransaction } from '../db/sql';
import { earlierResourceFor, identityForCreate, type IdempotencyContext } from '../idempotency/idempotency-keys';
import type { Merchant } from '../merchants/merchant-record';
import { ApiError, apiErrors } from '../shared/api-error';
import { newId } from '../shared/ids';
import { formatMinor, parseMajorAmount } from '../shared/money';
import { startOrJoin } from '../temporal/entity-workflows';
import { AmountMinorKey, CurrencyKey, MerchantIdKey, PayoutStatusKey } from '../temporal/search-attributes';
import { isWorkflowGone, temporalUnavailable } from '../temporal/temporal-errors';
import { executeUpdateWithin } from '../temporal/wait-for-update';
import { cancelPayoutUpdate, payoutWorkflow, waitForPayoutDecisionUpdate } from '../../workflows/payout-workflow';
import { gatewayAccountDestination, payoutGatewayAccount, type PayoutDestination } from './payout-gateway-account';
import { PayoutRepository } from './payout-repository';
import { arePayoutsPaused, PayoutScheduleRepository } from './payout-schedule-repository';
import type { CreatePayoutBody } from './payout-schemas';
import { payoutWorkflowId, type PayoutState, type PayoutStatus, type PayoutWorkflowInput } from './payout-state';
import { payoutRecordFromState, renderPayout, type PayoutJson } from './payout-view';

export interface PayoutTimings {
  submitDelayMs: number;
  returnWatch: { everyMs: number; forMs: number };
}

export interface PayoutServiceDeps {
  orm: MikroORM;
  temporal: Client;
  taskQueue: string;
  syncWaitMs: number;
  timings: PayoutTimings;
}

/** A payout as POST /v1/payouts answers it: `decided` false means its money was not reserved yet (202). */
export interface CreatedPayout {
  payout: PayoutJson;
  decided: boolean;
}

const sandboxBankDestination = (account: BankAccountRecord): PayoutDestination => ({
  bankAccountId: account.id,
  bankAccountLast4: account.last4,
  gatewayAccountId: null,
  network: 'sandbox_bank',
});

const balanceInsufficient = (message = 'The available balance does not cover this payout and its fee.') =>
  ApiError.badRequest(message, 'balance_insufficient', 'amount');

/** Payouts as workflows: one `payout-<id>` per payout, answered once its money is reserved (or refused). */
export class PayoutService {
  constructor(private readonly deps: PayoutServiceDeps) {}

  /**
   * Makes a payout of available funds to a bank account, or answers a retried request with the payout it made.
   * @throws 400 parameter_invalid, 400 resource_missing (bank_account, gateway_account), 400 bank_account_missing, 400 balance_insufficient, 400 payouts_paused, 409 idempotency_key_in_use, 422 idempotency_key_reused, 503 engine_unavailable
   */
  async create(merchant: Merchant, body: CreatePayoutBody, idempotency?: IdempotencyContext): Promise<CreatedPayout> {
    const parsed = parseMajorAmount(body.amount, body.currency);
    if (!parsed.ok) throw apiErrors.invalidAmount(parsed.reason);
    const amountMinor = parsed.minor;
    const request = {
      amount_minor: amountMinor,
      currency: body.currency,
      bank_account: body.bank_account ?? null,
      // Only when named, so a key's fingerprint from before gateway payouts existed still matches its retry.
      ...(body.gateway_account !== undefined ? { gateway_account: body.gateway_account } : {}),
      description: body.description ?? null,
      metadata: body.metadata ?? {},
    };
    const em = this.deps.orm.em.fork();
    // A retried request is answered with what it did, even if the balance has moved since.
    const earlierId = await earlierResourceFor(em, merchant.id, idempotency, request);
    if (earlierId) {
      const replayed = await this.replay(merchant, earlierId);
      if (replayed) return { payout: replayed, decided: true };
    }
    const { destination, feeMinor, availableMinor } = await inTransaction(this.deps.orm, async (sql) => {
      if (await arePayoutsPaused(sql, merchant.id))
        throw ApiError.badRequest('Payouts of this account are paused by the platform; contact support.', 'payouts_paused');
      const destination =
        body.gateway_account !== undefined
          ? await this.gatewayAccountFor(new GatewayAccountRepository(sql), merchant, body.gateway_account, body.currency)
          : await this.bankAccountFor(new BankAccountRepository(sql), merchant, body);
      const terms = await new PayoutScheduleRepository(sql).merchantTerms(merchant.id);
      const availableMinor = await new PayoutRepository(sql).availableBalance(merchant.id, body.currency, { lock: false });
      return { destination, feeMinor: terms?.payoutFeeMinor ?? 0, availableMinor };
    });
    // Checked again under the balance's lock in the workflow; this only spares a workflow that cannot succeed.
    if (amountMinor + feeMinor > availableMinor) throw balanceInsufficient();

    const { id, createdAt } = await identityForCreate(em, merchant.id, idempotency, request, { id: newId('po'), createdAt: new Date() });
    const input: PayoutWorkflowInput = {
      payoutId: id,
      merchantId: merchant.id,
      livemode: merchant.livemode,
      amountMinor,
      feeMinor,
      currency: body.currency,
      ...destination,
      description: body.description ?? null,
      metadata: body.metadata ?? {},
      automatic: false,
      createdAt: createdAt.toISOString(),
      submitDelayMs: this.deps.timings.submitDelayMs,
      returnWatch: this.deps.timings.returnWatch,
    };
    return this.run(merchant, input);
  }

  /**
   * The merchant's payout.
   * @throws 404 resource_missing
   */
  async get(merchant: Pick<Merchant, 'id'>, id: string): Promise<PayoutJson> {
    const payout = await inTransaction(this.deps.orm, (sql) => new PayoutRepository(sql).findForMerchant(merchant.id, id));
    if (!payout) throw apiErrors.notFound('Payout');
    return renderPayout(payout);
  }

  /**
   * The merchant's payouts, newest first.
   * @throws 400 resource_missing (an unknown `starting_after`)
   */
  async list(
    merchant: Pick<Merchant, 'id'>,
    query: { status?: PayoutStatus; bankAccount?: string; gatewayAccount?: string; limit: number; startingAfter?: string },
  ): Promise<{ data: PayoutJson[]; hasMore: boolean }> {
    const page = await inTransaction(this.deps.orm, async (sql) => {
      const payouts = new PayoutRepository(sql);
      if (query.startingAfter && !(await payouts.findForMerchant(merchant.id, query.startingAfter)))
        throw apiErrors.noSuch('payout', query.startingAfter);
      return payouts.listForMerchant(
        merchant.id,
        { status: query.status, bankAccountId: query.bankAccount, gatewayAccountId: query.gatewayAccount },
        query.limit,
        query.startingAfter,
      );
    });
    return { data: page.data.map(renderPayout), hasMore: page.hasMore };
  }

  /**
   * Cancels a pending payout before it is sent to the bank: its amount and fee are available again.
   * @throws 404 resource_missing, 400 payout_not_cancelable, 503 engine_unavailable
   */
  async cancel(merchant: Pick<Merchant, 'id'>, id: string, updateId?: string): Promise<PayoutJson> {
    const payout = await inTransaction(this.deps.orm, (sql) => new PayoutRepository(sql).findForMerchant(merchant.id, id));
    if (!payout) throw apiErrors.notFound('Payout');
    if (payout.status === 'canceled') return renderPayout(payout);
    const notCancelable = (status: string) =>
      ApiError.badRequest(`A ${status} payout can no longer be canceled.`, 'payout_not_cancelable', 'id');
    if (payout.status !== 'pending') throw notCancelable(payout.status);
    const handle = this.deps.temporal.workflow.getHandle<typeof payoutWorkflow>(payoutWorkflowId(id));
    let state: PayoutState;
    try {
      state = await handle.executeUpdate(cancelPayoutUpdate, updateId ? { updateId } : {});
    } catch (error) {
      if (error instanceof WorkflowUpdateFailedError) throw notCancelable('sent');
      if (isWorkflowGone(error)) throw notCancelable(payout.status);
      throw temporalUnavailable(error) ?? error;
    }
    if (state.status !== 'canceled') throw notCancelable(state.status);
    return this.get(merchant, id);
  }

  /**
   * A Stripe account of the merchant's, in its mode, enabled and taking the currency: Stripe pays its
   * balance out to that account's own bank account.
   */
  private async gatewayAccountFor(
    accounts: GatewayAccountRepository,
    merchant: Merchant,
    id: string,
    currency: string,
  ): Promise<PayoutDestination> {
    const account = payoutGatewayAccount(await accounts.findForMerchant(merchant.id, id), merchant, id);
    if (account.currencies.length > 0 && !account.currencies.includes(currency))
      throw apiErrors.invalidParameter('currency', `This gateway account takes ${account.currencies.join(', ')}, not ${currency}.`);
    return gatewayAccountDestination(account);
  }

  /** The named account, or the merchant's default for the currency; checked to be usable for this payout. */
  private async bankAccountFor(accounts: BankAccountRepository, merchant: Merchant, body: CreatePayoutBody): Promise<PayoutDestination> {
    return sandboxBankDestination(await this.bankAccount(accounts, merchant, body));
  }

  private async bankAccount(accounts: BankAccountRepository, merchant: Merchant, body: CreatePayoutBody): Promise<BankAccountRecord> {
    if (body.bank_account === undefined) {
      const fallback = await accounts.findDefault(merchant.id, body.currency);
      if (!fallback)
        throw ApiError.badRequest(
          `There is no default ${body.currency} bank account; add one or name bank_account.`,
          'bank_account_missing',
          'bank_account',
        );
      return fallback;
    }
    const account = await accounts.findForMerchant(merchant.id, body.bank_account);
    if (!account) throw apiErrors.noSuch('bank account', body.bank_account, 'bank_account');
    if (account.status !== 'available') throw apiErrors.invalidParameter('bank_account', 'This bank account is deleted.');
    if (account.currency !== body.currency)
      throw apiErrors.invalidParameter('currency', `The bank account takes ${account.currency}, not ${body.currency}.`);
    return account;
  }

  /** Starts the payout's workflow (or joins it) and answers once its money is reserved, or with `pending` if the engine is slow. */
  private async run(merchant: Merchant, input: PayoutWorkflowInput): Promise<CreatedPayout> {
    const money = `${input.currency} ${formatMinor(input.amountMinor, input.currency)}`;
    const { handle, closed } = await startOrJoin(this.deps.temporal, payoutWorkflow, {
      workflowId: payoutWorkflowId(input.payoutId),
      taskQueue: this.deps.taskQueue,
      input,
      searchAttributes: [
        { key: MerchantIdKey, value: merchant.id },
        { key: PayoutStatusKey, value: 'pending' },
        { key: AmountMinorKey, value: input.amountMinor },
        { key: CurrencyKey, value: input.currency },
      ],
      summary: `${money} payout ${input.bankAccountLast4 ? `to the account ending ${input.bankAccountLast4}` : `through ${input.gatewayAccountId}`} for merchant ${merchant.id}`,
      details: `Payout ${input.payoutId} over ${input.network}${input.description ? `: ${input.description}` : ''}`,
    });
    if (closed) {
      const replayed = await this.replay(merchant, input.payoutId);
      if (replayed) return { payout: replayed, decided: true };
      throw new Error(`${payoutWorkflowId(input.payoutId)} closed without an outcome`);
    }
    const decided = await executeUpdateWithin(this.deps.temporal, handle, waitForPayoutDecisionUpdate, this.deps.syncWaitMs);
    if (decided) return { payout: await this.answer(merchant, decided), decided: true };
    const stored = await this.replay(merchant, input.payoutId);
    if (stored) return { payout: stored, decided: true };
    // The balance check has not run yet (a worker or the engine is slow): not a payout yet, and it may still be refused.
    return { payout: renderPayout(payoutRecordFromState(pendingState(input), new Date())), decided: false };
  }

  /** What an earlier request with this payout id produced: the stored payout, or the workflow's rejection. Null when no workflow ever ran. */
  private async replay(merchant: Merchant, payoutId: string): Promise<PayoutJson | null> {
    const stored = await inTransaction(this.deps.orm, (sql) => new PayoutRepository(sql).findForMerchant(merchant.id, payoutId));
    if (stored) return renderPayout(stored);
    const handle = this.deps.temporal.workflow.getHandle<typeof payoutWorkflow>(payoutWorkflowId(payoutId));
    try {
      const description = await handle.describe();
      if (description.status.name === 'COMPLETED') return await this.answer(merchant, await handle.result());
      const decided = await executeUpdateWithin(this.deps.temporal, handle, waitForPayoutDecisionUpdate, this.deps.syncWaitMs);
      return decided ? await this.answer(merchant, decided) : null;
    } catch (error) {
      if (isWorkflowGone(error)) return null;
      throw temporalUnavailable(error) ?? error;
    }
  }

  /** The reserved payout as stored, or the API's answer to one its workflow refused. */
  private async answer(merchant: Merchant, state: PayoutState): Promise<PayoutJson> {
    if (state.status === 'rejected') throw balanceInsufficient(state.failureMessage ?? undefined);
    const stored = await inTransaction(this.deps.orm, (sql) => new PayoutRepository(sql).findForMerchant(merchant.id, state.payoutId));
    return stored ? renderPayout(stored) : renderPayout(payoutRecordFromState(state, new Date()));
  }
}

function pendingState(input: PayoutWorkflowInput): PayoutState {
  return { ...input, status: 'pending', bankReference: null, arrivalDate: null, failureCode: null, failureMessage: null, returned: false };
}
