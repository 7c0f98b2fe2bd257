import http from 'node:http';
import type { AddressInfo } from 'node:net';
import Stripe from 'stripe';
import {
  FakeAccount,
  type FakeAccountHandle,
  type FakeAccountInput,
  type FakeContext,
  type StoredPaymentIntent,
} from './stripe-fake-account';
import { FakeEventBus, type FakeDelivery } from './stripe-fake-events';
import { FakeFaults, type FakeFault, type FakeRandomFaultRates } from './stripe-fake-faults';
import { handleApiRequest, type FakeRequestLogEntry, type HandlerDeps } from './stripe-fake-handler';
import type { FakeCharge, FakeDispute, FakeEvent, FakePaymentIntent, FakePayout, FakeRefund } from './stripe-fake-objects';
import { payoutsMatching, settlePayouts } from './stripe-fake-payouts';
import { authenticationPage } from './stripe-fake-authentication';
import { completeAction } from './stripe-fake-payment-intents';
import { closeDispute, openDispute } from './stripe-fake-refunds';

export type { FakeAccountHandle, FakeAccountInput } from './stripe-fake-account';
export type { FakeDelivery } from './stripe-fake-events';
export type { FakeFault, FakeFaultKind, FakeOperation, FakeRandomFaultRates } from './stripe-fake-faults';
export type { FakeRequestLogEntry } from './stripe-fake-handler';
export type { FakeCharge, FakeDispute, FakeEvent, FakePaymentIntent, FakePayout, FakeRefund } from './stripe-fake-objects';

export interface StripeFakeOptions {
  accounts?: FakeAccountInput[];
  /** Send events to the accounts' webhook endpoints as they happen (default true); otherwise `sendPendingEvents`/`redeliver` send them. */
  autoSendEvents?: boolean;
  /** How long after capturing a createDispute card the network opens its dispute (default 100 ms). */
  disputeDelayMs?: number;
  /** How long a refund of a refundFail or pendingRefund card takes to change status (default 100 ms). */
  refundSettleDelayMs?: number;
  /** How long a new PaymentIntent stays invisible to search, as Stripe's search index trails (default 0). */
  searchLagMs?: number;
  /** How long a new payout stays `pending` (cancelable) before it is `in_transit` (default 1 minute). */
  payoutInTransitAfterMs?: number;
  /** From creation to the payout's arrival, when it is `paid` or `failed` (default 1 day). */
  payoutTransitMs?: number;
  /** After the arrival, when a payout to the paid-then-failed test number fails (default 2 days). */
  payoutReturnAfterMs?: number;
  /** Refuse amounts under Stripe's minimum charge per currency (default true). */
  enforceMinimumAmounts?: boolean;
  /** Stripe keeps an idempotency key's answer this long (24 hours). */
  idempotencyKeyTtlMs?: number;
  deliveryTimeoutMs?: number;
  /** The API version events carry (default: the SDK's). */
  apiVersion?: string;
  port?: number;
  now?: () => number;
}

export interface FakePaymentIntentTotals {
  authorized: number;
  captured: number;
  /** Refunds not failed or canceled. */
  refunded: number;
  /** Disputes not won. */
  disputed: number;
}

/** A running fake of the Stripe API, and the controls and views a test uses directly (not over HTTP). */
export interface StripeFake {
  url: string;
  host: string;
  port: number;
  stop(): Promise<void>;
  addAccount(input: FakeAccountInput): FakeAccountHandle;
  updateAccount(
    secretKey: string,
    changes: Pick<FakeAccountInput, 'webhookUrl' | 'webhookSecret' | 'enabledEvents' | 'rawCardData' | 'payoutAccountNumber'>,
  ): void;
  /** The key stops working (401 `api_key_expired`), as a rolled key does. */
  revokeKey(secretKey: string): void;
  injectFault(fault: FakeFault): void;
  setRandomFaults(rates: FakeRandomFaultRates, random?: () => number): void;
  clearFaults(): void;
  /** The customer completes (or fails) 3-D Secure for a `requires_action` PaymentIntent; the events follow. */
  completeAction(paymentIntentId: string, outcome: { succeed: boolean }): FakePaymentIntent;
  /** The network disputes a captured charge (by its id or its PaymentIntent's). */
  openDispute(chargeOrPaymentIntentId: string): FakeDispute;
  closeDispute(disputeId: string, outcome: 'won' | 'lost'): FakeDispute;
  /** Applies the payout status changes due by `now` in every account, with their events, without waiting for a request. */
  advancePayouts(): void;
  /** Payouts as last brought up to date (by a request or `advancePayouts`). */
  payouts(filter?: { account?: string; status?: string }): FakePayout[];
  events(filter?: { type?: string; account?: string }): FakeEvent[];
  deliveries(eventId?: string): FakeDelivery[];
  /** Sends an event again (or for the first time), as the Dashboard's "Resend" does. */
  redeliver(eventId: string): Promise<FakeDelivery | undefined>;
  sendPendingEvents(): Promise<FakeDelivery[]>;
  /** Resolves when no timer (disputes, refund changes) is due and no delivery is in flight. */
  idle(): Promise<void>;
  paymentIntent(id: string): FakePaymentIntent | undefined;
  paymentIntentsByMetadata(key: string, value: string): FakePaymentIntent[];
  charges(filter?: { paymentIntent?: string }): FakeCharge[];
  refunds(filter?: { paymentIntent?: string }): FakeRefund[];
  disputes(filter?: { paymentIntent?: string }): FakeDispute[];
  totals(paymentIntentId: string): FakePaymentIntentTotals;
  requestLog(): FakeRequestLogEntry[];
}

/**
 * Starts a stateful fake of the Stripe endpoints our adapter uses, on a free port of 127.0.0.1.
 * stripe-mock checks request shapes but keeps no state; this one remembers what happened, so the
 * real adapter can be run through whole payments, faults and events.
 */
export async function startStripeFake(options: StripeFakeOptions = {}): Promise<StripeFake> {
  const now = options.now ?? Date.now;
  const accounts = new Map<string, FakeAccount>();
  const byKey = new Map<string, FakeAccount>();
  const log: FakeRequestLogEntry[] = [];
  const faults = new FakeFaults();
  const timers = new Map<NodeJS.Timeout, () => void>();
  const due = new Set<Promise<void>>();
  let baseUrl = '';
  const events = new FakeEventBus({
    autoSend: options.autoSendEvents ?? true,
    apiVersion: options.apiVersion ?? Stripe.API_VERSION,
    now,
    destination: (id) => accounts.get(id),
    deliveryTimeoutMs: options.deliveryTimeoutMs ?? 5000,
  });
  const ctx: FakeContext = {
    now,
    emit: (account, type, object, request, previous) => void events.emit(account, type, object, request, previous),
    later(ms, work) {
      let finish = () => {};
      const done = new Promise<void>((resolve) => (finish = resolve));
      const timer = setTimeout(() => {
        timers.delete(timer);
        try {
          work();
        } catch (error) {
          // A timer's failure is a bug of the fake; it must not take the test process down with it.
          process.emitWarning(`Stripe fake: a scheduled change failed: ${error instanceof Error ? error.message : String(error)}`);
        } finally {
          finish();
        }
      }, ms);
      timers.set(timer, finish);
      due.add(done);
      void done.finally(() => due.delete(done));
    },
    authenticationUrl: (id) => `${baseUrl}/authenticate/${id}`,
    disputeDelayMs: options.disputeDelayMs ?? 100,
    refundSettleDelayMs: options.refundSettleDelayMs ?? 100,
    enforceMinimumAmounts: options.enforceMinimumAmounts ?? true,
    payoutTiming: {
      // A minute of `pending` leaves a test room to cancel; Stripe's own window depends on the bank's cut-off.
      inTransitAfterMs: options.payoutInTransitAfterMs ?? 60_000,
      transitMs: options.payoutTransitMs ?? 24 * 3600 * 1000,
      returnAfterMs: options.payoutReturnAfterMs ?? 2 * 24 * 3600 * 1000,
    },
  };
  const deps: HandlerDeps = {
    ctx,
    events,
    faults,
    log,
    accountOfKey: (key) => {
      const account = byKey.get(key);
      return account && { account, revoked: account.revokedKeys.has(key) };
    },
    apiVersion: options.apiVersion ?? Stripe.API_VERSION,
    searchLagMs: options.searchLagMs ?? 0,
    idempotencyKeyTtlMs: options.idempotencyKeyTtlMs ?? 24 * 3600 * 1000,
  };

  const locate = (paymentIntentId: string): { account: FakeAccount; stored: StoredPaymentIntent } => {
    for (const account of accounts.values()) {
      const stored = account.paymentIntents.get(paymentIntentId);
      if (stored) return { account, stored };
    }
    throw new Error(`No such PaymentIntent in the fake: ${paymentIntentId}`);
  };
  const every = <T>(pick: (account: FakeAccount) => Iterable<T>): T[] => [...accounts.values()].flatMap((account) => [...pick(account)]);
  const complete = (paymentIntentId: string, succeed: boolean): FakePaymentIntent => {
    const { account, stored } = locate(paymentIntentId);
    completeAction(ctx, account, stored, succeed);
    return structuredClone(stored.object);
  };

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const path = (req.url ?? '/').split('?')[0];
      if (path.startsWith('/authenticate/')) return authenticationPage(req, res, locate, complete);
      handleApiRequest(deps, req, res, Buffer.concat(chunks).toString('utf8')).catch(() => {
        if (!res.headersSent) res.writeHead(500).end();
      });
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  baseUrl = `http://127.0.0.1:${port}`;

  const fake: StripeFake = {
    url: baseUrl,
    host: '127.0.0.1',
    port,
    async stop() {
      for (const [timer, finish] of timers) {
        clearTimeout(timer);
        finish();
      }
      timers.clear();
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
    addAccount(input) {
      const keys = [input.secretKey, ...(input.additionalKeys ?? [])];
      if (keys.some((key) => byKey.has(key))) throw new Error('The fake already has an account with this key');
      const account = new FakeAccount(input);
      accounts.set(account.id, account);
      for (const key of keys) byKey.set(key, account);
      return { id: account.id, livemode: account.livemode };
    },
    updateAccount(secretKey, changes) {
      const account = byKey.get(secretKey);
      if (!account) throw new Error('The fake has no account with this key');
      if ('webhookUrl' in changes) account.webhookUrl = changes.webhookUrl;
      if ('webhookSecret' in changes) account.webhookSecret = changes.webhookSecret;
      if ('enabledEvents' in changes) account.enabledEvents = changes.enabledEvents;
      if (changes.rawCardData !== undefined) account.rawCardData = changes.rawCardData;
      if (changes.payoutAccountNumber !== undefined) account.usePayoutAccountNumber(changes.payoutAccountNumber);
    },
    revokeKey(secretKey) {
      byKey.get(secretKey)?.revokedKeys.add(secretKey);
    },
    injectFault: (fault) => faults.inject(fault),
    setRandomFaults: (rates, random) => faults.setRandom(rates, random),
    clearFaults: () => faults.clear(),
    completeAction: (paymentIntentId, outcome) => complete(paymentIntentId, outcome.succeed),
    openDispute(id) {
      for (const account of accounts.values()) {
        const chargeId = account.charges.has(id) ? id : account.paymentIntents.get(id)?.object.latest_charge;
        if (!chargeId) continue;
        const dispute = openDispute(ctx, account, chargeId);
        if (!dispute) throw new Error(`Charge ${chargeId} cannot be disputed (already disputed, or nothing captured)`);
        return structuredClone(dispute);
      }
      throw new Error(`No such charge or PaymentIntent in the fake: ${id}`);
    },
    closeDispute(disputeId, outcome) {
      const account = [...accounts.values()].find((candidate) => candidate.disputes.has(disputeId));
      const dispute = account?.disputes.get(disputeId);
      if (!account || !dispute) throw new Error(`No such dispute in the fake: ${disputeId}`);
      closeDispute(ctx, account, dispute, outcome);
      return structuredClone(dispute);
    },
    advancePayouts() {
      for (const account of accounts.values()) settlePayouts(ctx, account);
    },
    payouts: (filter) => payoutsMatching(accounts.values(), filter),
    events: (filter) => events.events(filter),
    deliveries: (eventId) => events.deliveries(eventId),
    redeliver: (eventId) => events.send(eventId),
    sendPendingEvents: () => events.sendPending(),
    async idle() {
      for (;;) {
        if (due.size > 0) {
          await Promise.all([...due]);
          continue;
        }
        await events.idle();
        if (due.size === 0) return;
      }
    },
    paymentIntent: (id) =>
      structuredClone(every((account) => account.paymentIntents.values()).find((stored) => stored.object.id === id)?.object),
    paymentIntentsByMetadata: (key, value) =>
      structuredClone(every((account) => account.paymentIntents.values()).map((stored) => stored.object)).filter(
        (pi) => pi.metadata[key] === value,
      ),
    charges: (filter = {}) =>
      structuredClone(every((account) => account.charges.values()).map((stored) => stored.object)).filter(
        (charge) => !filter.paymentIntent || charge.payment_intent === filter.paymentIntent,
      ),
    refunds: (filter = {}) =>
      structuredClone(every((account) => account.refunds.values())).filter(
        (refund) => !filter.paymentIntent || refund.payment_intent === filter.paymentIntent,
      ),
    disputes: (filter = {}) =>
      structuredClone(every((account) => account.disputes.values())).filter(
        (dispute) => !filter.paymentIntent || dispute.payment_intent === filter.paymentIntent,
      ),
    totals(paymentIntentId) {
      const { account, stored } = locate(paymentIntentId);
      const charges = [...account.charges.values()].filter(
        (charge) => charge.object.payment_intent === paymentIntentId && charge.object.paid,
      );
      const disputes = [...account.disputes.values()].filter(
        (dispute) => dispute.payment_intent === paymentIntentId && dispute.status !== 'won',
      );
      return {
        authorized: stored.object.status === 'canceled' ? 0 : charges.reduce((sum, charge) => sum + charge.object.amount, 0),
        captured: charges.reduce((sum, charge) => sum + charge.object.amount_captured, 0),
        refunded: charges.reduce((sum, charge) => sum + account.refundedOf(charge.object.id), 0),
        disputed: disputes.reduce((sum, dispute) => sum + dispute.amount, 0),
      };
    },
    requestLog: () => log.map((entry) => ({ ...entry })),
  };
  for (const input of options.accounts ?? []) fake.addAccount(input);
  return fake;
}
