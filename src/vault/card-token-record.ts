import type { CardBrand } from './card-validation';
import { cardExpiresAt } from './card-validation';

/** A vault token as stored: the number only sealed, never the CVC. */
export interface CardTokenRecord {
  id: string;
  merchantId: string;
  brand: CardBrand;
  last4: string;
  expMonth: number;
  expYear: number;
  fingerprint: string;
  keyId: string;
  panCiphertext: Buffer;
  /** The sandbox token whose behaviour this card has (tok_visa, tok_chargeDeclined, ...), fixed when it was tokenized. */
  sandboxBehaviour: string;
  createdAt: Date;
}

/** A `card_tokens` row as PostgreSQL answers it. */
export interface CardTokenRow {
  id: string;
  merchant_id: string;
  brand: CardBrand;
  last4: string;
  exp_month: number;
  exp_year: number;
  fingerprint: string;
  key_id: string;
  pan_ciphertext: Buffer;
  sandbox_behaviour: string;
  created_at: Date;
}

/** Vault tokens look like `tok_` and 22 base62 characters; the sandbox's named tokens (tok_visa, ...) never do. */
export const VAULT_TOKEN_ID = /^tok_[0-9A-Za-z]{22}$/;

/** Whether the card has expired by `at`: it is valid through the end of its expiry month (UTC). */
export function isExpired(token: Pick<CardTokenRecord, 'expMonth' | 'expYear'>, at: Date): boolean {
  return cardExpiresAt(token.expMonth, token.expYear) <= at;
}
