import type { Sql } from '../db/sql';
import { ledgerAccounts } from '../ledger/ledger-accounts';
import type { PayoutInterval, PayoutScheduleRecord, Weekday } from './payout-schedule-record';

type Row = Record<string, any>;

function toRecord(row: Row): PayoutScheduleRecord {
  return {
    merchantId: row.merchant_id,
    interval: row.interval as PayoutInterval,
    weeklyAnchor: (row.weekly_anchor ?? null) as Weekday | null,
    monthlyAnchor: row.monthly_anchor ?? null,
    delayDays: row.delay_days,
    minimumAmounts: row.minimum_amounts ?? {},
    gatewayAccountId: row.gateway_account_id ?? null,
    paused: row.paused,
    pausedReason: row.paused_reason ?? null,
    updatedAt: new Date(row.updated_at),
  };
}

/** One currency of the merchant's available balance, as an automatic payout run plans from it. */
export interface PayoutBalanceSource {
  currency: string;
  /** The available balance now. */
  availableMinor: number;
  /** What was credited to the available balance after the cut-off: funds too new to pay out. */
  creditedSinceMinor: number;
}

/** A currency the merchant can be paid out in to its default bank account for that currency. */
export interface PayoutCurrencySource extends PayoutBalanceSource {
  bankAccountId: string;
  bankAccountLast4: string;
}

const toBalanceSource = (row: Row): PayoutBalanceSource => ({
  currency: row.currency,
  availableMinor: Number(row.available),
  creditedSinceMinor: Number(row.credited),
});

/** The merchant's facts a run copies onto each payout. */
export interface PayoutMerchantTerms {
  livemode: boolean;
  /** The fixed fee per payout; 0 when none is configured. */
  payoutFeeMinor: number;
}

/**
 * Whether ops have paused this merchant's payouts: automatic runs make none, and POST /v1/payouts
 * refuses with 400 payouts_paused. Takes the caller's `Sql`, so a check inside its transaction reads that snapshot.
 */
export async function arePayoutsPaused(sql: Sql, merchantId: string): Promise<boolean> {
  const [row] = await sql.query<{ paused: boolean }>(`select paused from payout_schedules where merchant_id = ?`, [merchantId]);
  return row?.paused === true;
}

/** A merchant's payout settings in `payout_schedules`, and the reads an automatic payout run plans from. */
export class PayoutScheduleRepository {
  constructor(private readonly sql: Sql) {}

  /**
   * Serializes changes to this merchant's payout settings until the transaction ends: each change
   * also brings the Temporal Schedule in line, and two must not cross between the row and the schedule.
   */
  async lockMerchant(merchantId: string): Promise<void> {
    await this.sql.query(`select pg_advisory_xact_lock(hashtextextended(?, 0))`, [`payout_schedules:${merchantId}`]);
  }

  async find(merchantId: string): Promise<PayoutScheduleRecord | null> {
    const [row] = await this.sql.query<Row>(`select * from payout_schedules where merchant_id = ?`, [merchantId]);
    return row ? toRecord(row) : null;
  }

  async merchantExists(merchantId: string): Promise<boolean> {
    const rows = await this.sql.query(`select 1 from merchants where id = ?`, [merchantId]);
    return rows.length > 0;
  }

  /** Writes the whole row, whether or not the merchant had one. */
  async save(record: PayoutScheduleRecord): Promise<PayoutScheduleRecord> {
    const [row] = await this.sql.query<Row>(
      `insert into payout_schedules (merchant_id, interval, weekly_anchor, monthly_anchor, delay_days, minimum_amounts, gateway_account_id,
         paused, paused_reason, updated_at)
       values (?, ?, ?, ?, ?, ?::jsonb, ?, ?, ?, ?)
       on conflict (merchant_id) do update set
         interval = excluded.interval, weekly_anchor = excluded.weekly_anchor, monthly_anchor = excluded.monthly_anchor,
         delay_days = excluded.delay_days, minimum_amounts = excluded.minimum_amounts, gateway_account_id = excluded.gateway_account_id,
         paused = excluded.paused, paused_reason = excluded.paused_reason, updated_at = excluded.updated_at
       returning *`,
      [
        record.merchantId,
        record.interval,
        record.weeklyAnchor,
        record.monthlyAnchor,
        record.delayDays,
        JSON.stringify(record.minimumAmounts),
        record.gatewayAccountId,
        record.paused,
        record.pausedReason,
        record.updatedAt,
      ],
    );
    return toRecord(row);
  }

  async merchantTerms(merchantId: string): Promise<PayoutMerchantTerms | null> {
    const [row] = await this.sql.query<Row>(`select livemode, payout_fee_minor from merchants where id = ?`, [merchantId]);
    return row ? { livemode: row.livemode, payoutFeeMinor: Number(row.payout_fee_minor ?? 0) } : null;
  }

  /**
   * Each currency with a default bank account in use, with its available balance now and what was
   * credited to it after `cutoff` (postings' own times: settlements, returned payouts, adjustments).
   */
  async currencySources(merchantId: string, cutoff: Date): Promise<PayoutCurrencySource[]> {
    const account = ledgerAccounts.merchantAvailable(merchantId);
    const rows = await this.sql.query<Row>(
      `select b.currency, b.id, b.last4,
              coalesce((select balance_minor from ledger_account_balances where account = ? and currency = b.currency), 0) as available,
              coalesce((select sum(amount_minor) from ledger_postings
                         where account = ? and currency = b.currency and amount_minor > 0 and created_at > ?), 0) as credited
         from bank_accounts b
        where b.merchant_id = ? and b.default_for_currency and b.status = 'available'
        order by b.currency`,
      [account, account, cutoff, merchantId],
    );
    return rows.map((row) => ({ ...toBalanceSource(row), bankAccountId: row.id, bankAccountLast4: row.last4 }));
  }

  /**
   * Each currency the merchant has an available balance in, bank account or not (a gateway account pays
   * out to its own), with that balance now and what was credited to it after `cutoff`.
   */
  async balanceSources(merchantId: string, cutoff: Date): Promise<PayoutBalanceSource[]> {
    const account = ledgerAccounts.merchantAvailable(merchantId);
    const rows = await this.sql.query<Row>(
      `select a.currency, a.balance_minor as available,
              coalesce((select sum(amount_minor) from ledger_postings
                         where account = a.account and currency = a.currency and amount_minor > 0 and created_at > ?), 0) as credited
         from ledger_account_balances a
        where a.account = ?
        order by a.currency`,
      [cutoff, account],
    );
    return rows.map(toBalanceSource);
  }
}
