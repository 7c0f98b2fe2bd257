import { seconds, type FakeAccount, type FakeContext, type RequestRef, type StoredPayout } from './stripe-fake-account';
import { stringMap, stringParam, type FormObject, type FormValue } from './stripe-fake-form';
import {
  invalidRequest,
  missingParam,
  noSuch,
  stateError,
  stripeId,
  unknownParam,
  type FakePayout,
  type FakePayoutFailureTransaction,
} from './stripe-fake-objects';
import { balanceOf, optionalPositiveInteger } from './stripe-fake-refunds';

/**
 * Payouts of an account's balance to its default external account, with Stripe's test account
 * numbers deciding the outcome. Statuses move by the fake's clock and are brought up to date
 * lazily (`settlePayouts`), before any payout route or balance read: no timers, so a test that
 * skips time only has to move `now`.
 */

/** Stripe's test bank account numbers (Connect testing, US routing 110000000) and the failure each causes. */
export const PAYOUT_TEST_ACCOUNTS: Record<string, { failureCode: string | null; failsAfterPaid: boolean }> = {
  '000123456789': { failureCode: null, failsAfterPaid: false },
  '000111111116': { failureCode: 'no_account', failsAfterPaid: false },
  '000111111113': { failureCode: 'account_closed', failsAfterPaid: false },
  '000222222227': { failureCode: 'insufficient_funds', failsAfterPaid: false },
  '000333333335': { failureCode: 'debit_not_authorized', failsAfterPaid: false },
  '000444444440': { failureCode: 'invalid_currency', failsAfterPaid: false },
  // Not Stripe's: the fake's own number for "a payout can fail after being paid" (a bank returning it days later).
  '000999999991': { failureCode: 'account_closed', failsAfterPaid: true },
};

/** Stripe's descriptions of payout failure codes, as `failure_message`. */
export const PAYOUT_FAILURE_MESSAGES: Record<string, string> = {
  no_account: 'The bank account details on file are probably incorrect. No bank account could be located with those details.',
  account_closed: 'The bank account has been closed.',
  insufficient_funds: 'Your Stripe account has insufficient funds to cover the payout.',
  debit_not_authorized:
    'Debit transactions are not approved on the bank account. (Stripe requires bank accounts to be set up for both credit and debit payouts.)',
  invalid_currency:
    'The bank was unable to process this payout because of its currency. This is probably because the bank account cannot accept payments in that currency.',
};

const BALANCE_INSUFFICIENT =
  'You have insufficient funds in your Stripe account. One likely reason you have insufficient funds is that your funds are automatically being paid out; try enabling manual payouts by going to https://dashboard.stripe.com/account/payouts.';

const CREATE_PARAMS = new Set([
  'amount',
  'currency',
  'description',
  'metadata',
  'method',
  'statement_descriptor',
  'destination',
  'expand',
  'source_type',
]);
const LIST_PARAMS = new Set(['limit', 'starting_after', 'ending_before', 'created', 'arrival_date', 'status', 'destination', 'expand']);

/** POST /v1/payouts: a standard payout of available card funds to the default external account. */
export function createPayout(ctx: FakeContext, account: FakeAccount, params: FormObject, request: RequestRef): FakePayout {
  for (const name of Object.keys(params)) if (!CREATE_PARAMS.has(name)) throw unknownParam(name);
  const rawAmount = stringParam(params, 'amount');
  if (rawAmount === undefined) throw missingParam('amount');
  const amount = optionalPositiveInteger(rawAmount, 'amount') as number;
  const rawCurrency = stringParam(params, 'currency');
  if (rawCurrency === undefined) throw missingParam('currency');
  if (!/^[a-z]{3}$/i.test(rawCurrency)) throw invalidRequest(`Invalid currency: ${rawCurrency.toLowerCase()}.`, { param: 'currency' });
  const currency = rawCurrency.toLowerCase();
  const method = stringParam(params, 'method') ?? 'standard';
  if (method === 'instant')
    throw invalidRequest('Instant Payouts are not supported for the external account of this payout.', { param: 'method' });
  if (method !== 'standard') throw invalidRequest('Invalid method: must be one of standard or instant', { param: 'method' });
  const sourceType = stringParam(params, 'source_type') ?? 'card';
  if (sourceType !== 'card')
    throw invalidRequest(`This account has no ${sourceType} balance to pay out; the fake pays out card funds only.`, {
      param: 'source_type',
    });
  const destination = stringParam(params, 'destination');
  if (destination !== undefined && destination !== account.externalAccount.id)
    throw invalidRequest(`No such external account: '${destination}'`, { code: 'resource_missing', param: 'destination' });
  const statementDescriptor = stringParam(params, 'statement_descriptor');
  if (statementDescriptor !== undefined && statementDescriptor.length > 22)
    throw invalidRequest('The statement descriptor must be at most 22 characters long.', { param: 'statement_descriptor' });

  settlePayouts(ctx, account);
  const available = balanceOf(account).available.find((entry) => entry.currency === currency)?.amount ?? 0;
  // The endpoint ran and refused: Stripe keeps this answer under the idempotency key like any other.
  if (amount > available) throw stateError(BALANCE_INSUFFICIENT, 'balance_insufficient');

  const createdAtMs = ctx.now();
  const outcome = PAYOUT_TEST_ACCOUNTS[account.payoutAccountNumber] ?? { failureCode: null, failsAfterPaid: false };
  const payout: FakePayout = {
    id: stripeId('po'),
    object: 'payout',
    amount,
    // Whole seconds, rounded up: the payout is paid at the arrival_date Stripe states, never before it.
    arrival_date: Math.ceil((createdAtMs + ctx.payoutTiming.transitMs) / 1000),
    automatic: false,
    balance_transaction: stripeId('txn'),
    created: seconds(createdAtMs),
    currency,
    description: stringParam(params, 'description') ?? null,
    destination: account.externalAccount.id,
    failure_balance_transaction: null,
    failure_code: null,
    failure_message: null,
    livemode: account.livemode,
    metadata: stringMap(params.metadata),
    method: 'standard',
    original_payout: null,
    reconciliation_status: 'not_applicable',
    reversed_by: null,
    source_type: 'card',
    statement_descriptor: statementDescriptor ?? null,
    status: 'pending',
    type: 'bank_account',
  };
  account.payouts.set(payout.id, { object: payout, createdAtMs, ...outcome });
  ctx.emit(account, 'payout.created', payout, request);
  return payout;
}

/** GET /v1/payouts/:id. */
export function retrievePayout(ctx: FakeContext, account: FakeAccount, id: string): FakePayout {
  settlePayouts(ctx, account);
  const stored = account.payouts.get(id);
  if (!stored) throw noSuch('payout', id, 'id');
  return stored.object;
}

/** POST /v1/payouts/:id/cancel: only a pending payout; the money goes back to the balance. */
export function cancelPayout(ctx: FakeContext, account: FakeAccount, id: string, params: FormObject, request: RequestRef): FakePayout {
  for (const name of Object.keys(params)) if (name !== 'expand') throw unknownParam(name);
  const payout = retrievePayout(ctx, account, id);
  if (payout.status !== 'pending')
    throw stateError(`Payouts can only be canceled while they are pending. This payout (${id}) is ${payout.status}.`, undefined);
  payout.status = 'canceled';
  payout.failure_balance_transaction = moneyBack(account, payout, 'payout_cancel', ctx.now());
  ctx.emit(account, 'payout.canceled', payout, request, { status: 'pending' });
  return payout;
}

/** GET /v1/payouts: newest first, Stripe's cursor pagination and filters. */
export function listPayouts(ctx: FakeContext, account: FakeAccount, params: FormObject) {
  for (const name of Object.keys(params)) if (!LIST_PARAMS.has(name)) throw unknownParam(name);
  settlePayouts(ctx, account);
  const limit = optionalPositiveInteger(stringParam(params, 'limit'), 'limit') ?? 10;
  if (limit > 100) throw invalidRequest('This value must be less than or equal to 100.', { param: 'limit' });
  const created = rangeOf(params.created, 'created');
  const arrival = rangeOf(params.arrival_date, 'arrival_date');
  const status = stringParam(params, 'status');
  const destination = stringParam(params, 'destination');
  // Newest first is the reverse of creation order; a cursor keeps its place even when filtered out of the list.
  const order = [...account.payouts.keys()];
  const position = (id: string, param: string) => {
    const index = order.indexOf(id);
    if (index < 0) throw invalidRequest(`No such payout: '${id}'`, { code: 'resource_missing', param });
    return index;
  };
  const after = stringParam(params, 'starting_after');
  const before = stringParam(params, 'ending_before');
  const olderThan = after === undefined ? order.length : position(after, 'starting_after');
  const newerThan = before === undefined ? -1 : position(before, 'ending_before');
  const matching = order
    .map((id, index) => ({ index, payout: (account.payouts.get(id) as StoredPayout).object }))
    .filter(
      ({ index, payout }) =>
        index < olderThan &&
        index > newerThan &&
        created(payout.created) &&
        arrival(payout.arrival_date) &&
        (!status || payout.status === status) &&
        (!destination || payout.destination === destination),
    )
    .map(({ payout }) => payout)
    .reverse();
  // ending_before pages backwards: the page is the `limit` payouts just newer than the cursor.
  const data = after === undefined && before !== undefined ? matching.slice(-limit) : matching.slice(0, limit);
  return { object: 'list', data, has_more: matching.length > limit, url: '/v1/payouts' };
}

/** `created=123` or `created[gte]=...&created[lt]=...` as a predicate on unix seconds. */
function rangeOf(value: FormValue | undefined, param: string): (at: number) => boolean {
  if (value === undefined) return () => true;
  const integer = (raw: FormValue | undefined, name: string): number | undefined => {
    if (raw === undefined) return undefined;
    if (typeof raw !== 'string' || !/^\d+$/.test(raw))
      throw invalidRequest(`Invalid integer: ${String(raw)}`, { code: 'parameter_invalid_integer', param: name });
    return Number(raw);
  };
  if (typeof value === 'string') {
    const exact = integer(value, param);
    return (at) => at === exact;
  }
  if (Array.isArray(value)) throw invalidRequest(`Invalid ${param}: an integer or a range with gt, gte, lt and lte`, { param });
  const bounds = value;
  for (const key of Object.keys(bounds)) if (!['gt', 'gte', 'lt', 'lte'].includes(key)) throw unknownParam(`${param}[${key}]`);
  const [gt, gte, lt, lte] = ['gt', 'gte', 'lt', 'lte'].map((key) => integer(bounds[key], `${param}[${key}]`));
  return (at) =>
    (gt === undefined || at > gt) && (gte === undefined || at >= gte) && (lt === undefined || at < lt) && (lte === undefined || at <= lte);
}

/** Applies every status change that is due by `ctx.now()`, oldest first, with Stripe's events. */
export function settlePayouts(ctx: FakeContext, account: FakeAccount): void {
  for (;;) {
    let next: { at: number; stored: StoredPayout } | undefined;
    for (const stored of account.payouts.values()) {
      const at = nextChangeAt(ctx, stored);
      if (at !== undefined && at <= ctx.now() && (!next || at < next.at)) next = { at, stored };
    }
    if (!next) return;
    advance(ctx, account, next.stored, next.at);
  }
}

function nextChangeAt(ctx: FakeContext, stored: StoredPayout): number | undefined {
  const { inTransitAfterMs, transitMs, returnAfterMs } = ctx.payoutTiming;
  switch (stored.object.status) {
    case 'pending':
      return stored.createdAtMs + Math.min(inTransitAfterMs, transitMs);
    // A refused payout fails before its arrival date (so it never reads paid); any other is paid on it.
    case 'in_transit':
      return stored.failureCode && !stored.failsAfterPaid
        ? Math.max(stored.createdAtMs + Math.min(inTransitAfterMs, transitMs), stored.object.arrival_date * 1000 - 1000)
        : stored.object.arrival_date * 1000;
    case 'paid':
      return stored.failsAfterPaid ? stored.object.arrival_date * 1000 + returnAfterMs : undefined;
    default:
      return undefined;
  }
}

/** Records the balance transaction that returns a payout's money, dated `atMs`; answers its id. */
function moneyBack(account: FakeAccount, payout: FakePayout, type: FakePayoutFailureTransaction['type'], atMs: number): string {
  const transaction: FakePayoutFailureTransaction = {
    id: stripeId('txn'),
    object: 'balance_transaction',
    amount: payout.amount,
    currency: payout.currency,
    created: seconds(atMs),
    available_on: seconds(atMs),
    description: `${type === 'payout_cancel' ? 'Payout cancel' : 'Payout failure'} for ${payout.id}`,
    fee: 0,
    net: payout.amount,
    source: payout.id,
    status: 'available',
    type,
  };
  account.payoutFailureTransactions.set(transaction.id, transaction);
  return transaction.id;
}

/** Applies the change due at `atMs` (dated by when it was due, not when a request happened to apply it). */
function advance(ctx: FakeContext, account: FakeAccount, stored: StoredPayout, atMs: number): void {
  const payout = stored.object;
  const previous = { status: payout.status };
  if (payout.status === 'pending') {
    payout.status = 'in_transit';
    ctx.emit(account, 'payout.updated', payout, undefined, previous);
  } else if (payout.status === 'in_transit' && !(stored.failureCode && !stored.failsAfterPaid)) {
    payout.status = 'paid';
    ctx.emit(account, 'payout.paid', payout, undefined, previous);
  } else {
    // The bank refused or returned it: the money is back in the balance (`balanceOf` skips failed payouts).
    payout.status = 'failed';
    payout.failure_code = stored.failureCode;
    payout.failure_message = PAYOUT_FAILURE_MESSAGES[stored.failureCode ?? ''] ?? null;
    payout.failure_balance_transaction = moneyBack(account, payout, 'payout_failure', atMs);
    ctx.emit(account, 'payout.failed', payout, undefined, previous);
  }
}

/** The payouts a test looks at, across accounts. */
export function payoutsMatching(accounts: Iterable<FakeAccount>, filter: { account?: string; status?: string } = {}): FakePayout[] {
  return [...accounts]
    .filter((account) => !filter.account || account.id === filter.account)
    .flatMap((account) => [...account.payouts.values()].map((stored) => stored.object))
    .filter((payout) => !filter.status || payout.status === filter.status)
    .map((payout) => structuredClone(payout));
}
