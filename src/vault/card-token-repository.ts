import type { Sql } from '../db/sql';
import { VAULT_TOKEN_ID, type CardTokenRecord, type CardTokenRow } from './card-token-record';

const fromRow = (row: CardTokenRow): CardTokenRecord => ({
  id: row.id,
  merchantId: row.merchant_id,
  brand: row.brand,
  last4: row.last4,
  expMonth: Number(row.exp_month),
  expYear: Number(row.exp_year),
  fingerprint: row.fingerprint,
  keyId: row.key_id,
  panCiphertext: row.pan_ciphertext,
  sandboxBehaviour: row.sandbox_behaviour,
  createdAt: new Date(row.created_at),
});

/** The `card_tokens` table. */
export class CardTokenRepository {
  constructor(private readonly sql: Sql) {}

  async insert(token: CardTokenRecord): Promise<void> {
    await this.sql.query(
      `insert into card_tokens (id, merchant_id, brand, last4, exp_month, exp_year, fingerprint, key_id, pan_ciphertext, sandbox_behaviour, created_at)
       values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      [
        token.id,
        token.merchantId,
        token.brand,
        token.last4,
        token.expMonth,
        token.expYear,
        token.fingerprint,
        token.keyId,
        token.panCiphertext,
        token.sandboxBehaviour,
        token.createdAt,
      ],
    );
  }

  /** The vault token with this id; undefined for an id that is not a vault token's (a sandbox token such as tok_visa). */
  async find(id: string): Promise<CardTokenRecord | undefined> {
    if (!VAULT_TOKEN_ID.test(id)) return undefined;
    const [row] = await this.sql.query<CardTokenRow>(`select * from card_tokens where id = ?`, [id]);
    return row ? fromRow(row) : undefined;
  }
}
