import type { Sql } from '../db/sql';
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

interface Row {
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

const fromRow = (row: Row): CardTokenRecord => ({
  id: row.id, merchantId: row.merchant_id, brand: row.brand, last4: row.last4, expMonth: Number(row.exp_month), expYear: Number(row.exp_year),
  fingerprint: row.fingerprint, keyId: row.key_id, panCiphertext: row.pan_ciphertext, sandboxBehaviour: row.sandbox_behaviour, createdAt: new Date(row.created_at),
});

/** Vault tokens look like `tok_` and 22 base62 characters; the sandbox's named tokens (tok_visa, ...) never do. */
export const VAULT_TOKEN_ID = /^tok_[0-9A-Za-z]{22}$/;

export function isExpired(token: Pick<CardTokenRecord, 'expMonth' | 'expYear'>, at: Date): boolean {
  return cardExpiresAt(token.expMonth, token.expYear) <= at;
}

/** The `card_tokens` table. */
export class CardTokenStore {
  constructor(private readonly sql: Sql) {}

  async insert(token: CardTokenRecord): Promise<void> {
    await this.sql.query(
      `insert into card_tokens (id, merchant_id, brand, last4, exp_month, exp_year, fingerprint, key_id, pan_ciphertext, sandbox_behaviour, created_at)
       values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      [token.id, token.merchantId, token.brand, token.last4, token.expMonth, token.expYear, token.fingerprint, token.keyId, token.panCiphertext,
        token.sandboxBehaviour, token.createdAt],
    );
  }

  async find(id: string): Promise<CardTokenRecord | undefined> {
    if (!VAULT_TOKEN_ID.test(id)) return undefined;
    const [row] = await this.sql.query<Row>(`select * from card_tokens where id = ?`, [id]);
    return row ? fromRow(row) : undefined;
  }
}
