import type { FakeAccount, FakeContext, RequestRef } from './stripe-fake-account';
import type { FakeEventBus } from './stripe-fake-events';
import type { FakeOperation } from './stripe-fake-faults';
import { listParam, type FormObject } from './stripe-fake-form';
import { noSuch } from './stripe-fake-objects';
import { confirmPaymentIntent, createPaymentIntent, paymentIntentOf } from './stripe-fake-payment-intents';
import { cancelPaymentIntent, capturePaymentIntent } from './stripe-fake-captures';
import { createPaymentMethod } from './stripe-fake-payment-methods';
import { cancelPayout, createPayout, listPayouts, retrievePayout, settlePayouts } from './stripe-fake-payouts';
import { balanceOf, createRefund, listRefunds } from './stripe-fake-refunds';
import { searchPaymentIntents } from './stripe-fake-search';

export interface RouteCall {
  ctx: FakeContext;
  account: FakeAccount;
  params: FormObject;
  /** The object id in the path, if the route has one. */
  id: string;
  request: RequestRef;
  events: FakeEventBus;
  searchLagMs: number;
}

export interface Route {
  method: 'GET' | 'POST';
  pattern: RegExp;
  operation: FakeOperation;
  run(call: RouteCall): unknown;
}

const found = <T>(value: T | undefined, what: string, id: string): T => {
  if (value === undefined) throw noSuch(what, id, 'id');
  return value;
};

/** The Stripe endpoints the fake answers: those our adapter calls, and the reads a test or a curious reader might make. */
export const ROUTES: Route[] = [
  {
    method: 'POST',
    pattern: /^\/v1\/payment_intents$/,
    operation: 'create_payment_intent',
    run: (call) => createPaymentIntent(call.ctx, call.account, call.params, call.request),
  },
  {
    method: 'GET',
    pattern: /^\/v1\/payment_intents\/search$/,
    operation: 'search',
    run: (call) => searchPaymentIntents(call.account, call.params, call.ctx.now(), call.searchLagMs),
  },
  {
    method: 'GET',
    pattern: /^\/v1\/payment_intents\/([^/]+)$/,
    operation: 'retrieve_payment_intent',
    run: (call) => paymentIntentOf(call.account, call.id).object,
  },
  {
    method: 'POST',
    pattern: /^\/v1\/payment_intents\/([^/]+)\/confirm$/,
    operation: 'confirm',
    run: (call) => confirmPaymentIntent(call.ctx, call.account, call.id, call.params, call.request),
  },
  {
    method: 'POST',
    pattern: /^\/v1\/payment_intents\/([^/]+)\/capture$/,
    operation: 'capture',
    run: (call) => capturePaymentIntent(call.ctx, call.account, call.id, call.params, call.request),
  },
  {
    method: 'POST',
    pattern: /^\/v1\/payment_intents\/([^/]+)\/cancel$/,
    operation: 'cancel',
    run: (call) => cancelPaymentIntent(call.ctx, call.account, call.id, call.params, call.request),
  },
  {
    method: 'POST',
    pattern: /^\/v1\/payment_methods$/,
    operation: 'create_payment_method',
    run: (call) => createPaymentMethod(call.ctx, call.account, call.params).object,
  },
  {
    method: 'GET',
    pattern: /^\/v1\/payment_methods\/([^/]+)$/,
    operation: 'retrieve_payment_method',
    run: (call) => found(call.account.paymentMethods.get(call.id)?.object, 'PaymentMethod', call.id),
  },
  {
    method: 'POST',
    pattern: /^\/v1\/refunds$/,
    operation: 'refund',
    run: (call) => createRefund(call.ctx, call.account, call.params, call.request),
  },
  { method: 'GET', pattern: /^\/v1\/refunds$/, operation: 'list_refunds', run: (call) => listRefunds(call.account, call.params) },
  {
    method: 'GET',
    pattern: /^\/v1\/refunds\/([^/]+)$/,
    operation: 'retrieve_refund',
    run: (call) => found(call.account.refunds.get(call.id), 'refund', call.id),
  },
  {
    method: 'GET',
    pattern: /^\/v1\/charges\/([^/]+)$/,
    operation: 'retrieve_charge',
    run: (call) => found(call.account.charges.get(call.id)?.object, 'charge', call.id),
  },
  {
    method: 'GET',
    pattern: /^\/v1\/disputes\/([^/]+)$/,
    operation: 'retrieve_dispute',
    run: (call) => found(call.account.disputes.get(call.id), 'dispute', call.id),
  },
  {
    method: 'GET',
    pattern: /^\/v1\/events\/([^/]+)$/,
    operation: 'retrieve_event',
    run: (call) => {
      const stored = call.events.event(call.id);
      return found(stored?.account === call.account.id ? stored.event : undefined, 'event', call.id);
    },
  },
  {
    method: 'GET',
    pattern: /^\/v1\/balance$/,
    operation: 'balance',
    run: (call) => {
      settlePayouts(call.ctx, call.account);
      return balanceOf(call.account);
    },
  },
  {
    method: 'POST',
    pattern: /^\/v1\/payouts$/,
    operation: 'create_payout',
    run: (call) => createPayout(call.ctx, call.account, call.params, call.request),
  },
  { method: 'GET', pattern: /^\/v1\/payouts$/, operation: 'list_payouts', run: (call) => listPayouts(call.ctx, call.account, call.params) },
  {
    method: 'GET',
    pattern: /^\/v1\/payouts\/([^/]+)$/,
    operation: 'retrieve_payout',
    run: (call) => retrievePayout(call.ctx, call.account, call.id),
  },
  {
    method: 'POST',
    pattern: /^\/v1\/payouts\/([^/]+)\/cancel$/,
    operation: 'cancel_payout',
    run: (call) => cancelPayout(call.ctx, call.account, call.id, call.params, call.request),
  },
];

export function findRoute(method: string, path: string): { route: Route; id: string } | undefined {
  for (const route of ROUTES) {
    if (route.method !== method) continue;
    const match = route.pattern.exec(path);
    if (match) return { route, id: decodeURIComponent(match[1] ?? '') };
  }
  return undefined;
}

/**
 * `expand[]=latest_charge` (or `data.latest_charge` in a list): ids replaced by their objects, as
 * Stripe does, on a copy of the answer.
 */
export function expandAnswer(value: unknown, params: FormObject, account: FakeAccount): unknown {
  const paths = listParam(params, 'expand');
  if (paths.length === 0 || typeof value !== 'object' || value === null) return value;
  const copy = structuredClone(value) as Record<string, unknown>;
  for (const path of paths) expandPath(copy, path.split('.'), account);
  return copy;
}

function expandPath(target: unknown, segments: string[], account: FakeAccount): void {
  if (typeof target !== 'object' || target === null || segments.length === 0) return;
  const record = target as Record<string, unknown>;
  const [head, ...rest] = segments;
  if (Array.isArray(record[head])) {
    for (const item of record[head] as unknown[]) expandPath(item, rest, account);
    return;
  }
  if (typeof record[head] === 'string') {
    const object = account.objectById(record[head] as string);
    if (object !== undefined) record[head] = structuredClone(object);
  }
  expandPath(record[head], rest, account);
}
