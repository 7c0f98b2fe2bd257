import type { Client as PgClient } from 'pg';
import type { InvariantResult, OpenWorkflow } from './chaos-invariants';
import type { TrackedPayout } from './chaos-payout-load';
import type { StripePayoutReconciliationFigures } from './chaos-stripe-payout-reconciliation';
import {
  stripePayoutInvariants,
  type StripePayoutBooks,
  type StripePayoutFigures,
  type StripePayoutRow,
} from './chaos-stripe-payout-invariants';

const EXAMPLES = 8;
const FINAL = new Set(['paid', 'failed', 'canceled']);

function result(name: string, checked: number, problems: string[]): InvariantResult {
  return { name, checked, violations: problems.length, examples: problems.slice(0, EXAMPLES) };
}

type Rows = Record<string, any>[];

/** The run's payouts by outcome, for the report. */
export interface PayoutFigures {
  created: number;
  paid: number;
  failed: number;
  canceled: number;
  returned: number;
  inFlight: number;
  transfers: number;
  rejectedForBalance: number;
  /** Merchant balances below zero at the end, drawn there by refunds or disputes (never by a payout: that is a violation). */
  negativeAvailableAfterOtherEntries: number;
  /** The payouts through Stripe gateway accounts (counted in the figures above too), when the run has Stripe merchants. */
  stripe?: StripePayoutFigures;
  /** The daily Stripe payout reconciliation run over the chaos days (run-chaos adds it). */
  stripeReconciliation?: StripePayoutReconciliationFigures;
}

interface PayoutRow extends StripePayoutRow {
  fee_minor: string;
  network: string;
}

/** The ledger keys a payout in this state must have posted, exactly (payout-ledger.ts names them). */
function expectedKeys(payout: PayoutRow): string[] {
  const keys = [`payout:${payout.id}`];
  if (payout.status === 'paid' || payout.returned) keys.push(`payout:${payout.id}:paid`);
  if (payout.returned) keys.push(`payout:${payout.id}:returned`);
  else if (payout.status === 'failed') keys.push(`payout:${payout.id}:failed`);
  if (payout.status === 'canceled') keys.push(`payout:${payout.id}:canceled`);
  return keys;
}

/**
 * Nothing paid out twice: at most one transfer at the sandbox bank per payout, none for a payout we
 * do not know or one canceled; each transfer's money, merchant and outcome are the payout's; and per
 * merchant and currency, what the bank moved equals what our payouts say was paid (returns included).
 */
function paidOnce(payouts: PayoutRow[], transfers: Rows, open: Set<string>): string[] {
  const problems: string[] = [];
  const byId = new Map(payouts.map((payout) => [payout.id, payout]));
  // A payout whose workflow still runs may yet move on (a return watched for): its outcome is compared once it is done.
  const done = (payout: PayoutRow) => FINAL.has(payout.status) && !open.has(`payout-${payout.id}`);
  const transfersOf = new Map<string, Rows>();
  for (const transfer of transfers) transfersOf.set(transfer.payout_id, [...(transfersOf.get(transfer.payout_id) ?? []), transfer]);
  const moved = new Map<string, number>();
  const add = (key: string, amount: number) => moved.set(key, (moved.get(key) ?? 0) + amount);
  for (const [payoutId, sent] of transfersOf) {
    const payout = byId.get(payoutId);
    if (!payout) {
      problems.push(`the sandbox bank holds ${sent.length} transfer(s) for ${payoutId}, which we have no payout for`);
      continue;
    }
    if (sent.length > 1) problems.push(`payout ${payoutId} was sent to the bank ${sent.length} times: ${sent.map((t) => t.id).join(', ')}`);
    if (payout.status === 'canceled') problems.push(`payout ${payoutId} is canceled, yet the bank got transfer ${sent[0].id}`);
    if (payout.network !== 'sandbox_bank')
      problems.push(`payout ${payoutId} goes over ${payout.network}, yet the sandbox bank got ${sent[0].id}`);
    for (const transfer of sent) {
      if (Number(transfer.amount_minor) !== Number(payout.amount_minor) || transfer.currency !== payout.currency)
        problems.push(
          `transfer ${transfer.id} moves ${transfer.amount_minor} ${transfer.currency}, payout ${payoutId} ${payout.amount_minor} ${payout.currency}`,
        );
      if (transfer.merchant_id !== payout.merchant_id)
        problems.push(`transfer ${transfer.id} pays ${transfer.merchant_id}, payout ${payoutId} is ${payout.merchant_id}'s`);
      if (!done(payout)) continue;
      const expected = transfer.outcome === 'failed' ? 'failed' : transfer.outcome === 'returned' ? 'failed, returned' : 'paid';
      const actual = payout.returned ? 'failed, returned' : payout.status;
      if (expected !== actual) problems.push(`the bank's transfer ${transfer.id} is ${transfer.outcome}, payout ${payoutId} ${actual}`);
      else if (transfer.outcome !== 'paid' && transfer.failure_code !== payout.failure_code)
        problems.push(`payout ${payoutId} failed with ${payout.failure_code}, the bank said ${transfer.failure_code}`);
      if (transfer.outcome !== 'failed') add(`${payout.merchant_id} ${payout.currency}`, Number(transfer.amount_minor));
    }
  }
  // Payouts over a gateway (Stripe) never reach the sandbox bank: chaos-stripe-payout-invariants.ts checks them against Stripe.
  for (const payout of payouts)
    if (payout.network === 'sandbox_bank' && done(payout) && (payout.status === 'paid' || payout.returned)) {
      add(`${payout.merchant_id} ${payout.currency}`, -Number(payout.amount_minor));
      if (!transfersOf.has(payout.id))
        problems.push(`payout ${payout.id} is ${payout.status}${payout.returned ? ' (returned)' : ''} with no transfer at the bank`);
    }
  for (const [key, difference] of moved)
    if (difference !== 0) problems.push(`merchant ${key}: the bank moved ${difference} more than our paid payouts add to`);
  return problems;
}

/**
 * Nothing lost: every payout is final, or still in flight with its workflow open; every payout the API
 * answered 201 for exists for its merchant; every payout's ledger entries are exactly those of its state,
 * and no payout entry lacks its payout.
 */
function nothingLost(payouts: PayoutRow[], entries: Rows, open: Set<string>, answered: TrackedPayout[]): string[] {
  const problems: string[] = [];
  const byId = new Map(payouts.map((payout) => [payout.id, payout]));
  const keysOf = new Map<string, string[]>();
  for (const entry of entries) keysOf.set(entry.source_id, [...(keysOf.get(entry.source_id) ?? []), entry.idempotency_key]);
  for (const payout of payouts) {
    if (!FINAL.has(payout.status) && !open.has(`payout-${payout.id}`))
      problems.push(`payout ${payout.id} is ${payout.status} and its workflow is not running`);
    const want = expectedKeys(payout).sort();
    const have = (keysOf.get(payout.id) ?? []).sort();
    if (want.join() !== have.join())
      problems.push(
        `payout ${payout.id} (${payout.status}${payout.returned ? ', returned' : ''}) has entries [${have.join(', ')}], expected [${want.join(', ')}]`,
      );
  }
  for (const [payoutId, keys] of keysOf)
    if (!byId.has(payoutId)) problems.push(`ledger entries ${keys.join(', ')} have no payout ${payoutId}`);
  for (const payout of answered) {
    const row = byId.get(payout.id);
    if (!row) problems.push(`payout ${payout.id} was answered 201 (${payout.lastSeenStatus}) and does not exist`);
    else if (row.merchant_id !== payout.merchantId || Number(row.amount_minor) !== payout.amountMinor)
      problems.push(
        `payout ${payout.id} was answered 201 for ${payout.merchantId} ${payout.amountMinor}, is ${row.merchant_id} ${row.amount_minor}`,
      );
  }
  return problems;
}

/**
 * Balances never negative from payouts. Replays each merchant's available account in commit order
 * (by transaction: a payout locks the balance row, so commit order is the order the balance moved
 * in); after every transaction that reserved a payout, the balance is at least zero. A balance below
 * zero at the end is a violation when the last transaction that moved it was a payout's.
 */
async function neverNegative(db: PgClient): Promise<{ result: InvariantResult; negativeElsewhere: number }> {
  const problems: string[] = [];
  const ordered = (await db.query(`show track_commit_timestamp`)).rows[0].track_commit_timestamp === 'on';
  // Without commit timestamps (an external DATABASE_URL), transaction start is the best order there is: dips are shown, not counted.
  const unorderedDips: string[] = [];
  const moves = (
    await db.query(
      `select p.account, p.currency, sum(p.amount_minor)::bigint as amount,
              bool_or(e.source_type = 'payout' and e.idempotency_key = 'payout:' || e.source_id) as reserves_payout,
              string_agg(e.idempotency_key, ' ') as keys
         from ledger_postings p join ledger_entries e on e.id = p.entry_id
        where p.account like 'merchant:%:available'
        group by p.account, p.currency, p.xmin::text
        order by p.account, p.currency, ${ordered ? 'pg_xact_commit_timestamp(p.xmin::text::xid)' : 'min(e.created_at)'}, min(p.id)`,
    )
  ).rows;
  let checked = 0;
  let negativeElsewhere = 0;
  let running = 0;
  let account = '';
  let last: Record<string, any> | undefined;
  const closeAccount = () => {
    if (!last || running >= 0) return;
    if (last.reserves_payout) problems.push(`${account} ends at ${running}, last moved by ${last.keys}`);
    else negativeElsewhere++;
  };
  for (const move of moves) {
    const key = `${move.account} ${move.currency}`;
    if (key !== account) {
      closeAccount();
      account = key;
      running = 0;
    }
    running += Number(move.amount);
    last = move;
    if (!move.reserves_payout) continue;
    checked++;
    if (running < 0) (ordered ? problems : unorderedDips).push(`${key} fell to ${running} with ${move.keys}`);
  }
  closeAccount();
  const balances = (
    await db.query(
      `select b.account, b.currency, b.balance_minor, coalesce(sum(p.amount_minor), 0)::bigint as postings
         from ledger_account_balances b left join ledger_postings p on p.account = b.account and p.currency = b.currency
        where b.account like 'merchant:%:available' group by 1, 2, 3`,
    )
  ).rows;
  for (const balance of balances)
    if (Number(balance.balance_minor) !== Number(balance.postings))
      problems.push(`${balance.account} ${balance.currency} stores ${balance.balance_minor}, its postings add to ${balance.postings}`);
  const name = `no available balance below zero after a payout (each merchant's postings replayed in ${ordered ? 'commit' : 'transaction start'} order)`;
  const found = result(name, checked + balances.length, problems);
  found.examples.push(...unorderedDips.slice(0, EXAMPLES).map((dip) => `(order uncertain, not counted) ${dip}`));
  return { result: found, negativeElsewhere };
}

/**
 * The payout invariants, read in one snapshot (so a payout moving on while they are read cannot look
 * inconsistent): nothing paid out twice, nothing lost, no balance taken below zero by a payout; with
 * `stripe`, the payouts through Stripe gateway accounts against Stripe's books too.
 */
export async function payoutInvariants(
  db: PgClient,
  openWorkflows: OpenWorkflow[],
  load: { payouts: Map<string, TrackedPayout>; rejectedForBalance: number },
  stripe?: StripePayoutBooks,
): Promise<{ results: InvariantResult[]; figures: PayoutFigures }> {
  await db.query('begin isolation level repeatable read read only');
  try {
    const payouts = (
      await db.query<PayoutRow>(
        `select id, merchant_id, amount_minor, fee_minor, currency, status, returned, failure_code, network, gateway_account_id, bank_reference
           from payouts`,
      )
    ).rows;
    const transfers = (
      await db.query(`select id, payout_id, merchant_id, amount_minor, currency, outcome, failure_code from sandbox_bank_transfers`)
    ).rows;
    const entries = (await db.query(`select source_id, idempotency_key from ledger_entries where source_type = 'payout'`)).rows;
    const open = new Set(openWorkflows.map((workflow) => workflow.workflowId));
    const negative = await neverNegative(db);
    const count = (test: (payout: PayoutRow) => boolean) => payouts.filter(test).length;
    const done = (payout: StripePayoutRow) => FINAL.has(payout.status) && !open.has(`payout-${payout.id}`);
    const atStripe = stripe
      ? stripePayoutInvariants(
          payouts.filter((payout) => payout.network === 'stripe'),
          stripe,
          done,
        )
      : undefined;
    return {
      results: [
        result(
          'nothing paid out twice: one bank transfer per payout, the bank moved what our paid payouts say',
          transfers.length + payouts.length,
          paidOnce(payouts, transfers, open),
        ),
        result(
          "nothing lost: every payout final or in flight with its workflow, every 201 exists, each payout's ledger entries match its state",
          payouts.length + load.payouts.size,
          nothingLost(payouts, entries, open, [...load.payouts.values()]),
        ),
        negative.result,
        ...(atStripe?.results ?? []),
      ],
      figures: {
        created: payouts.length,
        paid: count((payout) => payout.status === 'paid'),
        failed: count((payout) => payout.status === 'failed' && !payout.returned),
        canceled: count((payout) => payout.status === 'canceled'),
        returned: count((payout) => payout.returned),
        inFlight: count((payout) => !FINAL.has(payout.status)),
        transfers: transfers.length,
        rejectedForBalance: load.rejectedForBalance,
        negativeAvailableAfterOtherEntries: negative.negativeElsewhere,
        ...(atStripe ? { stripe: atStripe.figures } : {}),
      },
    };
  } finally {
    await db.query('commit');
  }
}
