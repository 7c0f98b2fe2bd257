import type { Sql } from '../db/sql';
import { ledgerAccounts } from '../ledger/ledger-accounts';
import type { FeeSchedule } from '../payments/payment-state';

/** Withheld fees of one month, grouped the way the invoice itemizes them. */
export interface WithheldFeeGroup {
  currency: string;
  /** From capture entries (the others are fees withheld by some other entry). */
  fromCaptures: boolean;
  /** Every fee of the group equals what the merchant's pricing gives on its captured amount. */
  atPricing: boolean;
  quantity: number;
  volumeMinor: number;
  amountMinor: number;
}

export interface DisputeFeeGroup {
  currency: string;
  quantity: number;
  amountMinor: number;
  /** The smallest and largest single fee: equal when one price explains the line. */
  minFeeMinor: number;
  maxFeeMinor: number;
}

type Row = Record<string, string | number | boolean>;

/**
 * The fees withheld into `merchant:<id>:fees_payable` in [start, end): its positive postings (the
 * invoices' own debits are negative), per entry, with the entry's captured volume (its positive
 * pending posting). Whether a fee matches the pricing is decided here, in integer arithmetic with
 * the same half-to-even rounding as `processingFeeMinor`, so a month of captures never leaves SQL.
 */
export async function readWithheldFees(sql: Sql, merchantId: string, window: { start: Date; end: Date }, pricing: FeeSchedule): Promise<WithheldFeeGroup[]> {
  const rows = await sql.query<Row>(
    `with withheld as (
       select e.id, e.source_type, f.currency, sum(f.amount_minor)::bigint as fee_minor,
              coalesce((select sum(v.amount_minor) from ledger_postings v
                         where v.entry_id = e.id and v.account = ? and v.currency = f.currency and v.amount_minor > 0), 0)::bigint as volume_minor
         from ledger_postings f join ledger_entries e on e.id = f.entry_id
        where f.account = ? and f.amount_minor > 0 and f.created_at >= ? and f.created_at < ?
        group by e.id, e.source_type, f.currency),
     -- bigint throughout: sum() answers numeric, whose division would not truncate.
     priced as (
       select w.*, w.volume_minor * ?::bigint as scaled from withheld w)
     select currency, source_type = 'payment' as from_captures,
            source_type = 'payment' and fee_minor = scaled / 10000 + ?::bigint
              + case when (scaled % 10000) * 2 > 10000 or ((scaled % 10000) * 2 = 10000 and (scaled / 10000) % 2 = 1) then 1 else 0 end as at_pricing,
            count(*) as quantity, sum(volume_minor) as volume_minor, sum(fee_minor) as amount_minor
       from priced group by 1, 2, 3 order by 1, 2 desc, 3 desc`,
    [ledgerAccounts.merchantPending(merchantId), ledgerAccounts.merchantFeesPayable(merchantId), window.start, window.end, pricing.percentBps, pricing.fixedMinor]);
  return rows.map((row) => ({
    currency: String(row.currency).trim(), fromCaptures: row.from_captures === true, atPricing: row.at_pricing === true,
    quantity: Number(row.quantity), volumeMinor: Number(row.volume_minor), amountMinor: Number(row.amount_minor),
  }));
}

/** Dispute fees the merchant's entries credited to `platform:dispute_fee_revenue` in [start, end). */
export async function readDisputeFees(sql: Sql, merchantId: string, window: { start: Date; end: Date }): Promise<DisputeFeeGroup[]> {
  // An entry and its postings are written by one statement, so they share created_at; filtering on
  // the entry uses the (merchant_id, created_at) index.
  const rows = await sql.query<Row>(
    `select p.currency, count(*) as quantity, sum(p.amount_minor) as amount_minor, min(p.amount_minor) as min_fee, max(p.amount_minor) as max_fee
       from ledger_entries e join ledger_postings p on p.entry_id = e.id
      where e.merchant_id = ? and e.created_at >= ? and e.created_at < ? and p.account = ? and p.amount_minor > 0
      group by p.currency order by p.currency`,
    [merchantId, window.start, window.end, ledgerAccounts.disputeFeeRevenue()]);
  return rows.map((row) => ({
    currency: String(row.currency).trim(), quantity: Number(row.quantity), amountMinor: Number(row.amount_minor),
    minFeeMinor: Number(row.min_fee), maxFeeMinor: Number(row.max_fee),
  }));
}
