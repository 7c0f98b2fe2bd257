import { minorToMajorNumber } from '../shared/money';
import { apiTimestamp } from '../shared/timestamps';
import type { PayoutRecord } from './payout-repository';
import type { PayoutState } from './payout-state';

export type PayoutJson = ReturnType<typeof renderPayout>;

/** The payout as the API shows it: money in major units like every amount we answer with. */
export function renderPayout(payout: PayoutRecord) {
  return {
    id: payout.id,
    object: 'payout' as const,
    amount: minorToMajorNumber(payout.amountMinor, payout.currency),
    fee: minorToMajorNumber(payout.feeMinor, payout.currency),
    currency: payout.currency,
    status: payout.status,
    arrival_date: payout.arrivalDate,
    bank_reference: payout.bankReference,
    bank_account: payout.bankAccountId,
    gateway_account: payout.gatewayAccountId,
    bank_account_last4: payout.bankAccountLast4,
    automatic: payout.automatic,
    method: 'standard' as const,
    description: payout.description,
    metadata: payout.metadata,
    failure_code: payout.failureCode,
    failure_message: payout.failureMessage,
    returned: payout.returned,
    livemode: payout.livemode,
    created_at: apiTimestamp(payout.createdAt),
    updated_at: apiTimestamp(payout.updatedAt),
  };
}

/** The stored row a workflow state corresponds to: what the API would read once the state is persisted. */
export function payoutRecordFromState(state: PayoutState, updatedAt: Date): PayoutRecord {
  return {
    id: state.payoutId,
    merchantId: state.merchantId,
    livemode: state.livemode,
    amountMinor: state.amountMinor,
    feeMinor: state.feeMinor,
    currency: state.currency,
    status: state.status === 'rejected' ? 'failed' : state.status,
    bankAccountId: state.bankAccountId,
    bankAccountLast4: state.bankAccountLast4,
    gatewayAccountId: state.gatewayAccountId ?? null,
    network: state.network,
    bankReference: state.bankReference,
    arrivalDate: state.arrivalDate,
    automatic: state.automatic,
    description: state.description,
    metadata: state.metadata,
    failureCode: state.failureCode === 'balance_insufficient' ? null : state.failureCode,
    failureMessage: state.failureMessage,
    returned: state.returned,
    paidAt: state.paidAt ? new Date(state.paidAt) : null,
    returnedAt: state.returnedAt ? new Date(state.returnedAt) : null,
    createdAt: new Date(state.createdAt),
    updatedAt,
  };
}
