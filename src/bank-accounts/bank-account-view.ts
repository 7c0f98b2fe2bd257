import { apiTimestamp, apiTimestampOrNull } from '../shared/timestamps';
import type { AccountHolderType, BankAccountRecord, BankAccountStatus } from './bank-account-record';

/** A bank account as the API shows it: never the number, only its last 4. */
export interface BankAccountJson {
  id: string;
  object: 'bank_account';
  status: BankAccountStatus;
  country: string;
  currency: string;
  account_holder_name: string;
  account_holder_type: AccountHolderType | null;
  bank_name: string | null;
  bank_code: string | null;
  routing_number: string | null;
  last4: string;
  fingerprint: string;
  default_for_currency: boolean;
  metadata: Record<string, string>;
  livemode: boolean;
  created_at: string;
  deleted_at: string | null;
}

export function renderBankAccount(account: BankAccountRecord): BankAccountJson {
  return {
    id: account.id,
    object: 'bank_account',
    status: account.status,
    country: account.country,
    currency: account.currency,
    account_holder_name: account.accountHolderName,
    account_holder_type: account.accountHolderType,
    bank_name: account.bankName,
    bank_code: account.bankCode,
    routing_number: account.routingNumber,
    last4: account.last4,
    fingerprint: account.fingerprint,
    default_for_currency: account.defaultForCurrency,
    metadata: account.metadata,
    livemode: account.livemode,
    created_at: apiTimestamp(account.createdAt),
    deleted_at: apiTimestampOrNull(account.deletedAt),
  };
}
