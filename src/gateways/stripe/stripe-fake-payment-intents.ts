import type { FakeAccount, FakeContext, RequestRef, StoredPaymentIntent, StoredPaymentMethod } from './stripe-fake-account';
import { seconds } from './stripe-fake-account';
import { approve, decline } from './stripe-fake-charges';
import { listParam, objectParam, stringMap, stringParam, type FormObject } from './stripe-fake-form';
import {
  FakeApiError,
  MAXIMUM_CHARGE,
  MINIMUM_CHARGE,
  docUrl,
  formatAmount,
  invalidRequest,
  missingParam,
  noSuch,
  stateError,
  stripeId,
  unknownParam,
  type FakePaymentIntent,
} from './stripe-fake-objects';
import { paymentMethodForIntent } from './stripe-fake-payment-methods';
import { optionalPositiveInteger } from './stripe-fake-refunds';

const CONFIRM_PARAMS = [
  'payment_method',
  'payment_method_data',
  'return_url',
  'off_session',
  'error_on_requires_action',
  'expand',
  'allowed_payment_method_types',
  'excluded_payment_method_types',
  'amount_details',
  'confirmation_token',
  'hooks',
  'mandate',
  'mandate_data',
  'payment_details',
  'payment_method_options',
  'radar_options',
  'receipt_email',
  'setup_future_usage',
  'shipping',
  'use_stripe_sdk',
];
const CREATE_PARAMS = new Set([
  ...CONFIRM_PARAMS,
  'amount',
  'currency',
  'capture_method',
  'confirm',
  'metadata',
  'description',
  'customer',
  'customer_account',
  // Older API versions' name for allowed_payment_method_types.
  'payment_method_types',
  'payment_method_configuration',
  'automatic_payment_methods',
  'confirmation_method',
  'statement_descriptor',
  'statement_descriptor_suffix',
  'application_fee_amount',
  'on_behalf_of',
  'transfer_data',
  'transfer_group',
]);
const CONFIRM_ONLY_PARAMS = new Set([...CONFIRM_PARAMS, 'capture_method', 'amount_to_confirm']);
const RETURN_URL_REQUIRED =
  "This PaymentIntent is configured to accept payment methods enabled in your Dashboard. Because some of these payment methods might redirect your customer off of your page, you must provide a `return_url`. If you don't want to accept redirect-based payment methods, set `automatic_payment_methods[enabled]` to `true` and `automatic_payment_methods[allow_redirects]` to `never` when creating Setup Intents and Payment Intents.";

/** POST /v1/payment_intents, confirming at once with `confirm=true` (a declined confirmation answers 402 with the PaymentIntent). */
export function createPaymentIntent(ctx: FakeContext, account: FakeAccount, params: FormObject, request: RequestRef): FakePaymentIntent {
  for (const name of Object.keys(params)) if (!CREATE_PARAMS.has(name)) throw unknownParam(name);
  const amount = optionalPositiveInteger(stringParam(params, 'amount'), 'amount');
  if (amount === undefined) throw missingParam('amount');
  const currency = stringParam(params, 'currency')?.toLowerCase();
  if (!currency) throw missingParam('currency');
  if (!/^[a-z]{3}$/.test(currency)) throw invalidRequest(`Invalid currency: ${currency}.`, { param: 'currency' });
  const minimum = MINIMUM_CHARGE[currency];
  if (ctx.enforceMinimumAmounts && minimum !== undefined && amount < minimum)
    throw invalidRequest(`Amount must be at least ${formatAmount(minimum, currency)} ${currency}`, {
      code: 'amount_too_small',
      param: 'amount',
    });
  if (amount > MAXIMUM_CHARGE)
    throw invalidRequest(`Amount must be no more than ${formatAmount(MAXIMUM_CHARGE, currency)}`, {
      code: 'amount_too_large',
      param: 'amount',
    });
  const captureMethod = stringParam(params, 'capture_method') ?? 'automatic_async';
  if (!['automatic', 'automatic_async', 'manual'].includes(captureMethod))
    throw invalidRequest('Invalid capture_method: must be one of automatic, automatic_async, or manual', { param: 'capture_method' });
  const confirm = flag(params, 'confirm');
  const returnUrl = stringParam(params, 'return_url');
  if (returnUrl && !confirm)
    throw invalidRequest('The parameter return_url can only be passed when confirm is set to true.', { param: 'return_url' });
  const types = [...listParam(params, 'allowed_payment_method_types'), ...listParam(params, 'payment_method_types')];
  const automatic = objectParam(params, 'automatic_payment_methods');
  if (types.length > 0 && automatic)
    throw invalidRequest('You may only specify one of these parameters: automatic_payment_methods, allowed_payment_method_types.', {
      code: 'parameters_exclusive',
    });
  const paymentMethod = paymentMethodForIntent(ctx, account, params);
  if (paymentMethod?.usedBy) throw reusedPaymentMethod();
  const created = ctx.now();
  const id = stripeId('pi');
  const paymentIntent: FakePaymentIntent = {
    id,
    object: 'payment_intent',
    amount,
    amount_capturable: 0,
    amount_received: 0,
    allowed_payment_method_types: types.length > 0 ? types : null,
    automatic_payment_methods:
      types.length > 0 ? null : { enabled: true, allow_redirects: stringParam(automatic ?? {}, 'allow_redirects') ?? 'always' },
    canceled_at: null,
    cancellation_reason: null,
    capture_method: captureMethod,
    client_secret: `${id}_secret_${stripeId('x').slice(2)}`,
    confirmation_method: 'automatic',
    created: seconds(created),
    currency,
    customer: null,
    description: stringParam(params, 'description') ?? null,
    excluded_payment_method_types: null,
    last_payment_error: null,
    latest_charge: null,
    livemode: account.livemode,
    metadata: stringMap(params.metadata),
    next_action: null,
    payment_method: paymentMethod?.object.id ?? null,
    payment_method_types: types.length > 0 ? types : ['card'],
    status: paymentMethod ? 'requires_confirmation' : 'requires_payment_method',
  };
  const stored: StoredPaymentIntent = { object: paymentIntent, createdAtMs: created, card: null };
  account.paymentIntents.set(id, stored);
  ctx.emit(account, 'payment_intent.created', paymentIntent, request);
  if (confirm) confirmIntent(ctx, account, stored, paymentMethod, params, request);
  return paymentIntent;
}

/** POST /v1/payment_intents/:id/confirm. */
export function confirmPaymentIntent(
  ctx: FakeContext,
  account: FakeAccount,
  id: string,
  params: FormObject,
  request: RequestRef,
): FakePaymentIntent {
  for (const name of Object.keys(params)) if (!CONFIRM_ONLY_PARAMS.has(name)) throw unknownParam(name);
  const stored = paymentIntentOf(account, id);
  const status = stored.object.status;
  if (!['requires_payment_method', 'requires_confirmation', 'requires_action'].includes(status))
    throw stateError(
      `You cannot confirm this PaymentIntent because it has a status of ${status}. Only a PaymentIntent with one of the following statuses may be confirmed: requires_payment_method, requires_confirmation, requires_action.`,
      'payment_intent_unexpected_state',
      { payment_intent: structuredClone(stored.object) },
    );
  const given = paymentMethodForIntent(ctx, account, params);
  const paymentMethod = given ?? (stored.object.payment_method ? account.paymentMethods.get(stored.object.payment_method) : undefined);
  if (paymentMethod?.usedBy && paymentMethod.usedBy !== id) throw reusedPaymentMethod();
  confirmIntent(ctx, account, stored, paymentMethod, params, request);
  return stored.object;
}

function confirmIntent(
  ctx: FakeContext,
  account: FakeAccount,
  stored: StoredPaymentIntent,
  paymentMethod: StoredPaymentMethod | undefined,
  params: FormObject,
  request: RequestRef,
): void {
  const paymentIntent = stored.object;
  const returnUrl = stringParam(params, 'return_url');
  if (!paymentMethod)
    throw stateError(
      "You cannot confirm this PaymentIntent because it's missing a payment method. You can either update the PaymentIntent with a payment method and then confirm it again, or confirm it again directly with a payment method.",
      'payment_intent_unexpected_state',
      { payment_intent: structuredClone(paymentIntent) },
    );
  const automatic = paymentIntent.automatic_payment_methods;
  if (!returnUrl && automatic?.enabled && automatic.allow_redirects !== 'never')
    throw stateError(RETURN_URL_REQUIRED, undefined, { payment_intent: structuredClone(paymentIntent) });
  paymentMethod.usedBy = paymentIntent.id;
  paymentIntent.payment_method = paymentMethod.object.id;
  stored.card = paymentMethod.card;
  const card = paymentMethod.card;
  if (card.authentication) {
    if (flag(params, 'error_on_requires_action') || flag(params, 'off_session')) {
      return decline(
        ctx,
        account,
        stored,
        paymentMethod,
        {
          code: 'authentication_required',
          declineCode: 'authentication_required',
          message: 'Your card was declined. This transaction requires authentication.',
        },
        request,
      );
    }
    paymentIntent.status = 'requires_action';
    paymentIntent.next_action = returnUrl
      ? { type: 'redirect_to_url', redirect_to_url: { url: ctx.authenticationUrl(paymentIntent.id), return_url: returnUrl } }
      : {
          type: 'use_stripe_sdk',
          use_stripe_sdk: { type: 'three_d_secure_redirect', stripe_js: ctx.authenticationUrl(paymentIntent.id), source: stripeId('src') },
        };
    ctx.emit(account, 'payment_intent.requires_action', paymentIntent, request);
    return;
  }
  if (card.decline) return decline(ctx, account, stored, paymentMethod, card.decline, request);
  approve(ctx, account, stored, request);
}

/** The customer authenticated (or failed to) on the 3-D Secure page. */
export function completeAction(ctx: FakeContext, account: FakeAccount, stored: StoredPaymentIntent, succeed: boolean): void {
  const paymentIntent = stored.object;
  if (paymentIntent.status !== 'requires_action')
    throw new Error(`PaymentIntent ${paymentIntent.id} is ${paymentIntent.status}, not requires_action`);
  if (succeed) return approve(ctx, account, stored, { id: null, idempotencyKey: null });
  const paymentMethod = paymentIntent.payment_method ? account.paymentMethods.get(paymentIntent.payment_method) : undefined;
  paymentIntent.status = 'requires_payment_method';
  paymentIntent.next_action = null;
  paymentIntent.payment_method = null;
  paymentIntent.last_payment_error = {
    type: 'invalid_request_error',
    code: 'payment_intent_authentication_failure',
    doc_url: docUrl('payment_intent_authentication_failure'),
    message:
      'The provided PaymentMethod has failed authentication. You can provide payment_method_data or a new PaymentMethod to attempt to fulfill this PaymentIntent again.',
    payment_method: paymentMethod ? structuredClone(paymentMethod.object) : undefined,
  };
  ctx.emit(account, 'payment_intent.payment_failed', paymentIntent);
}

export function paymentIntentOf(account: FakeAccount, id: string): StoredPaymentIntent {
  const stored = account.paymentIntents.get(id);
  if (!stored) throw noSuch('payment_intent', id, 'intent');
  return stored;
}

function flag(params: FormObject, name: string): boolean {
  const value = stringParam(params, name);
  return value === 'true' || value === 'one_off' || value === 'recurring';
}

function reusedPaymentMethod(): FakeApiError {
  return invalidRequest(
    'The provided PaymentMethod was previously used with a PaymentIntent without Customer attachment, shared with a connected account without Customer attachment, or was detached from a Customer. It may not be used again. To use a PaymentMethod multiple times, you must attach it to a Customer first.',
    { code: 'payment_method_unexpected_state', param: 'payment_method' },
  );
}
