/** Whether an account can be paid out to; a deleted one is kept for its payouts' history. */
export type BankAccountStatus = 'available' | 'deleted';
export type AccountHolderType = 'individual' | 'company';

/** A merchant's bank account as stored: the number only sealed, what may be shown beside it. */
export interface BankAccountRecord {
  id: string;
  merchantId: string;
  livemode: boolean;
  status: BankAccountStatus;
  country: string;
  currency: string;
  accountHolderName: string;
  accountHolderType: AccountHolderType | null;
  bankName: string | null;
  bankCode: string | null;
  /** Public for US accounts (it names the bank, not the account); null for IBAN accounts. */
  routingNumber: string | null;
  last4: string;
  /** HMAC of the account's identity under the vault's fingerprint key: the same account, the same value. */
  fingerprint: string;
  /** The vault key that sealed the number, and the AES-256-GCM bytes (bound to the row id). */
  numberKeyId: string;
  numberCiphertext: Buffer;
  defaultForCurrency: boolean;
  metadata: Record<string, string>;
  createdAt: Date;
  updatedAt: Date;
  deletedAt: Date | null;
}

/** The associated data an account's sealed number is bound to: copied onto another row, it fails to open. */
export function bankAccountNumberBinding(bankAccountId: string): string {
  return `${bankAccountId}:bank_account_number`;
}
