import type { GatewayAccountRecord } from '../gateway-accounts/gateway-account-record';
import { apiErrors, type ApiError } from '../shared/api-error';
import type { PayoutWorkflowInput } from './payout-state';

/** The gateways whose accounts can pay out (their connectors have payouts). */
export const PAYOUT_GATEWAYS = ['stripe'] as const;
export type PayoutGateway = (typeof PAYOUT_GATEWAYS)[number];

/** Where a payout goes: one of our bank accounts over the sandbox bank, or a gateway account's own payouts. */
export type PayoutDestination = Pick<PayoutWorkflowInput, 'bankAccountId' | 'bankAccountLast4' | 'gatewayAccountId' | 'network'>;

/**
 * Why the merchant's gateway account `id` cannot take its payouts, as the API answers it (every
 * answer names `gateway_account`), or null when it can: the merchant's own, in its mode, of a gateway
 * with payouts, and enabled. The same rule for POST /v1/payouts, the payout schedule and each
 * automatic run, so a schedule never names an account a manual payout would be refused.
 */
export function gatewayAccountPayoutRefusal(
  account: GatewayAccountRecord | null,
  merchant: { id: string; livemode: boolean },
  id: string,
): ApiError | null {
  if (!account || account.merchantId !== merchant.id || account.livemode !== merchant.livemode)
    return apiErrors.noSuch('gateway account', id, 'gateway_account');
  if (!(PAYOUT_GATEWAYS as readonly string[]).includes(account.gateway))
    return apiErrors.invalidParameter(
      'gateway_account',
      `A ${account.gateway} account cannot pay out; gateway payouts go through ${PAYOUT_GATEWAYS.join(', ')} accounts.`,
    );
  if (account.status !== 'verified') return apiErrors.invalidParameter('gateway_account', 'This gateway account is disabled.');
  return null;
}

/**
 * The merchant's gateway account `id`, checked to be able to take its payouts.
 * @throws 400 resource_missing, 400 parameter_invalid (both on gateway_account)
 */
export function payoutGatewayAccount(
  account: GatewayAccountRecord | null,
  merchant: { id: string; livemode: boolean },
  id: string,
): GatewayAccountRecord {
  const refusal = gatewayAccountPayoutRefusal(account, merchant, id);
  if (refusal) throw refusal;
  return account as GatewayAccountRecord;
}

/** Payouts through a usable gateway account: its gateway pays the balance out to the account's own bank account. */
export function gatewayAccountDestination(account: GatewayAccountRecord): PayoutDestination {
  return { bankAccountId: null, bankAccountLast4: null, gatewayAccountId: account.id, network: account.gateway as PayoutGateway };
}
