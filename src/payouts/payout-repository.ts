import { selectNewestFirst, type Page, type SqlCondition } from '../db/pagination';
import type { Sql } from '../db/sql';
import { ledgerAccounts } from '../ledger/ledger-accounts';
import type { PayoutFailureCode, PayoutNetworkName, PayoutStatus } from './payout-state';

type Row = Record<string, any>;

/** A payout as stored: the read model its workflow keeps and the API serves. */
export interface PayoutRecord {
  id: string;
  merchantId: string;
  livemode: boolean;
  amountMinor: number;
  feeMinor: number;
  currency: string;
  status: PayoutStatus;
  /** Our bank account (sandbox bank), or null for a gateway's payout, which names its gateway account instead. */
  bankAccountId: string | null;
  /** Null for a gateway's payout until the gateway names its destination. */
  bankAccountLast4: string | null;
  gatewayAccountId: string | null;
  network: PayoutNetworkName;
  bankReference: string | null;
  arrivalDate: string | null;
  automatic: boolean;
  description: string | null;
  metadata: Record<string, string>;
  failureCode: PayoutFailureCode | null;
  failureMessage: string | null;
  returned: boolean;
  /** The bank's value times: when it paid the transfer, and when a return came back. */
  paidAt: Date | null;
  returnedAt: Date | null;
  createdAt: Date;
  updatedAt: Date;
}

function toRecord(row: Row): PayoutRecord {
  return {
    id: row.id,
    merchantId: row.merchant_id,
    livemode: row.livemode,
    amountMinor: Number(row.amount_minor),
    feeMinor: Number(row.fee_minor),
    currency: String(row.currency),
    status: row.status,
    bankAccountId: row.bank_account_id ?? null,
    bankAccountLast4: row.bank_account_last4 ?? null,
    gatewayAccountId: row.gateway_account_id ?? null,
    network: row.network,
    bankReference: row.bank_reference ?? null,
    arrivalDate: row.arrival_date ? isoDay(row.arrival_date) : null,
    automatic: row.automatic,
    description: row.description ?? null,
    metadata: row.metadata ?? {},
    failureCode: row.failure_code ?? null,
    failureMessage: row.failure_message ?? null,
    returned: row.returned,
    paidAt: row.paid_at ? new Date(row.paid_at) : null,
    returnedAt: row.returned_at ? new Date(row.returned_at) : null,
    createdAt: new Date(row.created_at),
    updatedAt: new Date(row.updated_at),
  };
}

/** A `date` column arrives as a string (YYYY-MM-DD) or a Date at local midnight, depending on the driver's parsers. */
function isoDay(value: string | Date): string {
  if (typeof value === 'string') return value.slice(0, 10);
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${value.getFullYear()}-${pad(value.getMonth() + 1)}-${pad(value.getDate())}`;
}

/** The change one workflow step makes to its payout row. */
export interface PayoutTransition {
  status: PayoutStatus;
  /** The statuses the row may be in for the step to apply; a retried step finds it applied and changes nothing. */
  from: PayoutStatus[];
  bankReference?: string | null;
  /** A gateway's payout learns its destination's last 4 when it is sent. */
  bankAccountLast4?: string | null;
  arrivalDate?: string | null;
  failureCode?: PayoutFailureCode | null;
  failureMessage?: string | null;
  returned?: boolean;
  paidAt?: string | null;
  returnedAt?: string | null;
  now: Date;
}

/** Every read and write of `payouts`; a merchant's reads never see another's. */
export class PayoutRepository {
  constructor(private readonly sql: Sql) {}

  async findForMerchant(merchantId: string, id: string): Promise<PayoutRecord | null> {
    const [row] = await this.sql.query<Row>(`select * from payouts where id = ? and merchant_id = ?`, [id, merchantId]);
    return row ? toRecord(row) : null;
  }

  async findById(id: string): Promise<PayoutRecord | null> {
    const [row] = await this.sql.query<Row>(`select * from payouts where id = ?`, [id]);
    return row ? toRecord(row) : null;
  }

  /** The payout sent through this gateway account as the gateway's `reference`, if `id` names it. */
  async findGatewayTransfer(id: string, gatewayAccountId: string, reference: string): Promise<PayoutRecord | null> {
    const [row] = await this.sql.query<Row>(`select * from payouts where id = ? and gateway_account_id = ? and bank_reference = ?`, [
      id,
      gatewayAccountId,
      reference,
    ]);
    return row ? toRecord(row) : null;
  }

  async listForMerchant(
    merchantId: string,
    filter: { status?: PayoutStatus; bankAccountId?: string; gatewayAccountId?: string },
    limit: number,
    startingAfter?: string,
  ): Promise<Page<PayoutRecord>> {
    const conditions: SqlCondition[] = [['merchant_id = ?', merchantId]];
    if (filter.status) conditions.push(['status = ?', filter.status]);
    if (filter.bankAccountId) conditions.push(['bank_account_id = ?', filter.bankAccountId]);
    if (filter.gatewayAccountId) conditions.push(['gateway_account_id = ?', filter.gatewayAccountId]);
    const page = await selectNewestFirst<Row>(this.sql, 'payouts', conditions, limit, startingAfter);
    return { data: page.data.map(toRecord), hasMore: page.hasMore };
  }

  async insert(payout: PayoutRecord): Promise<void> {
    await this.sql.query(
      `insert into payouts (id, merchant_id, livemode, amount_minor, fee_minor, currency, status, bank_account_id, bank_account_last4,
         gateway_account_id, network, bank_reference, arrival_date, automatic, description, metadata, failure_code, failure_message, returned, created_at, updated_at)
       values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?::jsonb, ?, ?, ?, ?, ?)`,
      [
        payout.id,
        payout.merchantId,
        payout.livemode,
        payout.amountMinor,
        payout.feeMinor,
        payout.currency,
        payout.status,
        payout.bankAccountId,
        payout.bankAccountLast4,
        payout.gatewayAccountId,
        payout.network,
        payout.bankReference,
        payout.arrivalDate,
        payout.automatic,
        payout.description,
        JSON.stringify(payout.metadata),
        payout.failureCode,
        payout.failureMessage,
        payout.returned,
        payout.createdAt,
        payout.updatedAt,
      ],
    );
  }

  /**
   * Applies one step to the row if it is still in a state the step starts from, and answers the row
   * as it then is; `applied` is false for a retried step, so its ledger entry and event are not
   * attempted against a different outcome.
   */
  async transition(id: string, change: PayoutTransition): Promise<{ applied: boolean; payout: PayoutRecord | null }> {
    const [row] = await this.sql.query<Row>(
      `update payouts set status = ?,
         bank_reference = coalesce(?, bank_reference),
         bank_account_last4 = coalesce(?, bank_account_last4),
         arrival_date = coalesce(?::date, arrival_date),
         failure_code = coalesce(?, failure_code),
         failure_message = coalesce(?, failure_message),
         returned = returned or ?,
         paid_at = coalesce(?::timestamptz, paid_at),
         returned_at = coalesce(?::timestamptz, returned_at),
         updated_at = ?
       where id = ? and status = any(?::text[]) and not (returned and ?) returning *`,
      [
        change.status,
        change.bankReference ?? null,
        change.bankAccountLast4 ?? null,
        change.arrivalDate ?? null,
        change.failureCode ?? null,
        change.failureMessage ?? null,
        change.returned ?? false,
        change.paidAt ?? null,
        change.returnedAt ?? null,
        change.now,
        id,
        change.from,
        change.returned ?? false,
      ],
    );
    if (row) return { applied: true, payout: toRecord(row) };
    return { applied: false, payout: await this.findById(id) };
  }

  /**
   * The merchant's available balance in this currency (0 when the account was never posted to). With
   * `lock`, the balance row stays locked until the transaction ends: every payout of the merchant in
   * the currency queues there, and the posting that follows lowers the balance before the next reads it.
   */
  async availableBalance(merchantId: string, currency: string, { lock }: { lock: boolean }): Promise<number> {
    const [row] = await this.sql.query<Row>(
      `select balance_minor from ledger_account_balances where account = ? and currency = ?${lock ? ' for update' : ''}`,
      [ledgerAccounts.merchantAvailable(merchantId), currency],
    );
    return Number(row?.balance_minor ?? 0);
  }
}
