import type { Sql } from '../db/sql';
import { selectNewestFirst, type SqlCondition } from '../db/pagination';
import type { CheckoutSessionRecord, CheckoutSigningSecretRecord } from './checkout-record';
import type { CheckoutState } from './checkout-state';

type Row = Record<string, any>;

function toRecord(row: Row): CheckoutSessionRecord {
  return {
    id: row.id,
    merchantId: row.merchant_id,
    livemode: row.livemode,
    amountMinor: Number(row.amount_minor),
    currency: row.currency,
    description: row.description ?? null,
    customerId: row.customer_id ?? null,
    customerEmail: row.customer_email ?? null,
    successUrl: row.success_url,
    cancelUrl: row.cancel_url,
    captureMethod: row.capture_method,
    metadata: row.metadata ?? {},
    status: row.status,
    paymentStatus: row.payment_status,
    paymentId: row.payment_id ?? null,
    payment: row.payment ?? null,
    attempts: Number(row.attempts),
    formSecret: row.form_secret,
    expiresAt: new Date(row.expires_at),
    completedAt: row.completed_at ? new Date(row.completed_at) : null,
    expiredAt: row.expired_at ? new Date(row.expired_at) : null,
    version: Number(row.version),
    createdAt: new Date(row.created_at),
    updatedAt: new Date(row.updated_at),
  };
}

/** Checkout sessions and the merchants' checkout signing secrets. */
export class CheckoutRepository {
  constructor(private readonly sql: Sql) {}

  /** Inserts the new session unless its id exists (a replayed Idempotency-Key lands on the first row). */
  async insertIfAbsent(session: CheckoutSessionRecord): Promise<void> {
    await this.sql.query(
      `insert into checkout_sessions (id, merchant_id, livemode, amount_minor, currency, description, customer_id, customer_email,
         success_url, cancel_url, capture_method, metadata, status, payment_status, payment_id, payment, attempts, form_secret,
         expires_at, completed_at, expired_at, version, created_at, updated_at)
       values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?::jsonb, ?, ?, ?, ?::jsonb, ?, ?, ?, ?, ?, ?, ?, ?) on conflict (id) do nothing`,
      [
        session.id,
        session.merchantId,
        session.livemode,
        session.amountMinor,
        session.currency,
        session.description,
        session.customerId,
        session.customerEmail,
        session.successUrl,
        session.cancelUrl,
        session.captureMethod,
        JSON.stringify(session.metadata),
        session.status,
        session.paymentStatus,
        session.paymentId,
        session.payment ? JSON.stringify(session.payment) : null,
        session.attempts,
        session.formSecret,
        session.expiresAt,
        session.completedAt,
        session.expiredAt,
        session.version,
        session.createdAt,
        session.updatedAt,
      ],
    );
  }

  /** Writes the workflow's state over the row, unless the row already holds a newer version (activities may run late). */
  async applyState(state: CheckoutState, now: Date): Promise<CheckoutSessionRecord | null> {
    const [row] = await this.sql.query<Row>(
      `update checkout_sessions set status = ?, payment_status = ?, payment_id = ?, payment = ?::jsonb, attempts = ?,
         completed_at = ?, expired_at = ?, version = ?, updated_at = ?
       where id = ? and version < ? returning *`,
      [
        state.status,
        state.paymentStatus,
        state.payment?.paymentId ?? null,
        state.payment ? JSON.stringify(state.payment) : null,
        state.attempts,
        state.completedAt,
        state.expiredAt,
        state.version,
        now,
        state.sessionId,
        state.version,
      ],
    );
    return row ? toRecord(row) : null;
  }

  async find(id: string): Promise<CheckoutSessionRecord | null> {
    const [row] = await this.sql.query<Row>(`select * from checkout_sessions where id = ?`, [id]);
    return row ? toRecord(row) : null;
  }

  async findForMerchant(merchantId: string, id: string): Promise<CheckoutSessionRecord | null> {
    const [row] = await this.sql.query<Row>(`select * from checkout_sessions where id = ? and merchant_id = ?`, [id, merchantId]);
    return row ? toRecord(row) : null;
  }

  async listForMerchant(
    merchantId: string,
    query: { status?: string; limit: number; startingAfter?: string },
  ): Promise<{ data: CheckoutSessionRecord[]; hasMore: boolean }> {
    const conditions: SqlCondition[] = [['merchant_id = ?', merchantId]];
    if (query.status !== undefined) conditions.push(['status = ?', query.status]);
    const page = await selectNewestFirst<Row>(this.sql, 'checkout_sessions', conditions, query.limit, query.startingAfter);
    return { data: page.data.map(toRecord), hasMore: page.hasMore };
  }

  async findSigningSecret(merchantId: string): Promise<CheckoutSigningSecretRecord | null> {
    const [row] = await this.sql.query<Row>(`select * from checkout_signing_secrets where merchant_id = ?`, [merchantId]);
    return row
      ? {
          merchantId: row.merchant_id,
          keyId: row.key_id,
          ciphertext: row.ciphertext,
          last4: row.last4,
          createdAt: new Date(row.created_at),
        }
      : null;
  }

  /** Keeps the first secret made for the merchant when two requests race; `replace` rolls it. Returns the stored one. */
  async saveSigningSecret(secret: CheckoutSigningSecretRecord, replace: boolean): Promise<CheckoutSigningSecretRecord> {
    await this.sql.query(
      `insert into checkout_signing_secrets (merchant_id, key_id, ciphertext, last4, created_at) values (?, ?, ?, ?, ?)
       on conflict (merchant_id) do ${replace ? 'update set key_id = excluded.key_id, ciphertext = excluded.ciphertext, last4 = excluded.last4, created_at = excluded.created_at' : 'nothing'}`,
      [secret.merchantId, secret.keyId, secret.ciphertext, secret.last4, secret.createdAt],
    );
    return (await this.findSigningSecret(secret.merchantId)) as CheckoutSigningSecretRecord;
  }
}
