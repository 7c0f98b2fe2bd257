import type { FakePayout, StripeFake } from '../src/gateways/stripe/stripe-fake';
import { PAYOUT_ID_METADATA, TRANSFER_KEY_METADATA, payoutFailureOf } from '../src/gateways/stripe/stripe-payouts';
import type { InvariantResult } from './chaos-invariants';

const EXAMPLES = 8;

/** A payout row with network `stripe`, as the payout invariants read it. */
export interface StripePayoutRow {
  id: string;
  merchant_id: string;
  amount_minor: string;
  currency: string;
  status: string;
  returned: boolean;
  failure_code: string | null;
  gateway_account_id: string | null;
  bank_reference: string | null;
}

/** The Stripe fake and which of its accounts each of our gateway accounts is. */
export interface StripePayoutBooks {
  fake: StripeFake;
  accounts: { gatewayAccountId: string; fakeAccountId: string }[];
}

/** The Stripe merchants' payouts by outcome, ours and Stripe's, for the report. */
export interface StripePayoutFigures {
  created: number;
  paid: number;
  /** Failed (not returned), by failure code: gateway_balance_insufficient is Stripe refusing for its own balance. */
  failed: Record<string, number>;
  returned: number;
  canceled: number;
  inFlight: number;
  /** Stripe payouts carrying one of our payout ids, by their status at Stripe. */
  atStripe: Record<string, number>;
  /** Stripe payouts the merchants made themselves (the Dashboard), not through us: not ours to agree with. */
  madeOutsideLedgerflow: number;
}

interface AtStripe {
  account: string;
  payout: FakePayout;
}

const result = (name: string, checked: number, problems: string[]): InvariantResult => ({
  name,
  checked,
  violations: problems.length,
  examples: problems.slice(0, EXAMPLES),
});

/**
 * What our payout says against what Stripe did with it, or null when they agree. `paidBefore`: Stripe
 * paid it before it failed (a return), which our workflow reports as `failed` with `returned`.
 */
function disagreement(row: StripePayoutRow, stripe: FakePayout | undefined, paidBefore: boolean): string | null {
  const ours = row.status === 'failed' ? `failed (${row.failure_code}${row.returned ? ', returned' : ''})` : row.status;
  if (!stripe) {
    if (row.status === 'canceled') return null;
    if (row.status === 'failed' && !row.returned && row.failure_code === 'gateway_balance_insufficient') return null;
    return `payout ${row.id} is ${ours} with no payout at Stripe`;
  }
  const code = payoutFailureOf(stripe.failure_code);
  const theirs = `${stripe.status}${stripe.status === 'failed' ? ` (${stripe.failure_code}${paidBefore ? ', after paid' : ''})` : ''}`;
  const agree =
    (stripe.status === 'paid' && row.status === 'paid') ||
    (stripe.status === 'failed' && row.status === 'failed' && row.returned === paidBefore && row.failure_code === code) ||
    // Canceled at Stripe (its Dashboard) before it left: our adapter reports that as a failure.
    (stripe.status === 'canceled' && row.status === 'failed' && !row.returned && row.failure_code === 'could_not_process');
  return agree ? null : `payout ${row.id} is ${ours}, Stripe's ${stripe.id} is ${theirs}`;
}

/**
 * The Stripe payout invariants, against the fake's books read after our snapshot (with every change
 * due by now applied): nothing paid out twice (at most one Stripe payout per payout id, on the
 * payout's account, with its amount, currency and key, and none for a payout we do not have), and,
 * for every payout that is done, agreement of our outcome with Stripe's.
 */
export function stripePayoutInvariants(
  rows: StripePayoutRow[],
  books: StripePayoutBooks,
  done: (row: StripePayoutRow) => boolean,
): { results: InvariantResult[]; figures: StripePayoutFigures } {
  books.fake.advancePayouts();
  const atStripe: AtStripe[] = books.accounts.flatMap(({ fakeAccountId }) =>
    books.fake.payouts({ account: fakeAccountId }).map((payout) => ({ account: fakeAccountId, payout })),
  );
  const paidAtSomePoint = new Set(books.fake.events({ type: 'payout.paid' }).map((event) => (event.data.object as FakePayout).id));
  const ours = new Map(rows.map((row) => [row.id, row]));
  const accountOf = new Map(books.accounts.map((account) => [account.gatewayAccountId, account.fakeAccountId]));
  const byPayout = new Map<string, AtStripe[]>();
  let madeOutside = 0;
  for (const entry of atStripe) {
    const payoutId = entry.payout.metadata[PAYOUT_ID_METADATA];
    if (!payoutId) madeOutside++;
    else byPayout.set(payoutId, [...(byPayout.get(payoutId) ?? []), entry]);
  }

  const twice: string[] = [];
  for (const [payoutId, made] of byPayout) {
    const row = ours.get(payoutId);
    const ids = made.map((entry) => `${entry.payout.id} (${entry.payout.status})`).join(', ');
    if (!row) {
      twice.push(`Stripe holds ${ids} for ${payoutId}, which we have no Stripe payout for`);
      continue;
    }
    if (made.length > 1) twice.push(`payout ${payoutId} was paid out at Stripe ${made.length} times: ${ids}`);
    for (const { account, payout } of made) {
      const expectedAccount = accountOf.get(row.gateway_account_id ?? '');
      if (account !== expectedAccount)
        twice.push(
          `Stripe's ${payout.id} for ${payoutId} is on account ${account}; the payout draws on ${row.gateway_account_id} (${expectedAccount})`,
        );
      if (payout.amount !== Number(row.amount_minor) || payout.currency !== row.currency.toLowerCase())
        twice.push(
          `Stripe's ${payout.id} is ${payout.amount} ${payout.currency}; payout ${payoutId} is ${row.amount_minor} ${row.currency}`,
        );
      if (payout.metadata[TRANSFER_KEY_METADATA] !== `${payoutId}:transfer`)
        twice.push(`Stripe's ${payout.id} carries key ${payout.metadata[TRANSFER_KEY_METADATA]}, not ${payoutId}:transfer`);
    }
    if (made.length === 1 && row.bank_reference !== null && row.bank_reference !== made[0].payout.id)
      twice.push(`payout ${payoutId} names ${row.bank_reference}; Stripe made ${made[0].payout.id}`);
  }

  const disagreements: string[] = [];
  let compared = 0;
  for (const row of rows) {
    if (!done(row)) continue;
    compared++;
    const stripe = byPayout.get(row.id)?.[0]?.payout;
    const problem = disagreement(row, stripe, stripe ? paidAtSomePoint.has(stripe.id) : false);
    if (problem) disagreements.push(problem);
  }

  const count = (test: (row: StripePayoutRow) => boolean) => rows.filter(test).length;
  const failed: Record<string, number> = {};
  for (const row of rows)
    if (row.status === 'failed' && !row.returned) failed[row.failure_code ?? 'none'] = (failed[row.failure_code ?? 'none'] ?? 0) + 1;
  const statusesAtStripe: Record<string, number> = {};
  for (const made of byPayout.values())
    for (const { payout } of made) {
      const key = payout.status === 'failed' && paidAtSomePoint.has(payout.id) ? 'failed after paid' : payout.status;
      statusesAtStripe[key] = (statusesAtStripe[key] ?? 0) + 1;
    }
  return {
    results: [
      result(
        'Stripe payouts: nothing paid out twice (at most one Stripe payout per payout id, on its account with its amount and key; none unknown)',
        rows.length + atStripe.length - madeOutside,
        twice,
      ),
      result(
        'Stripe payouts agree once done: paid ⇔ Stripe paid; failed ⇔ Stripe failed (returned ⇔ paid then failed, same code) or nothing at Stripe with gateway_balance_insufficient; canceled ⇔ nothing at Stripe',
        compared,
        disagreements,
      ),
    ],
    figures: {
      created: rows.length,
      paid: count((row) => row.status === 'paid'),
      failed,
      returned: count((row) => row.returned),
      canceled: count((row) => row.status === 'canceled'),
      inFlight: count((row) => row.status === 'pending' || row.status === 'in_transit'),
      atStripe: statusesAtStripe,
      madeOutsideLedgerflow: madeOutside,
    },
  };
}
