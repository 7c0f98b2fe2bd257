import { cardOfNumber, cardOfTestPaymentMethod, cardOfTestToken, luhnValid, type FakeCard } from './stripe-fake-cards';
import type { FakeAccount, FakeContext, StoredPaymentMethod } from './stripe-fake-account';
import { seconds } from './stripe-fake-account';
import { stringParam, objectParam, type FormObject } from './stripe-fake-form';
import { FakeApiError, docUrl, invalidRequest, missingParam, paymentMethodObject, unknownParam } from './stripe-fake-objects';

const CARD_PARAMS = new Set(['number', 'exp_month', 'exp_year', 'cvc', 'token', 'networks']);
const PAYMENT_METHOD_PARAMS = new Set([
  'type',
  'card',
  'billing_details',
  'metadata',
  'expand',
  'allow_redisplay',
  'customer',
  'radar_options',
]);

const RAW_CARD_DATA_REFUSED =
  'Sending credit card numbers directly to the Stripe API is generally unsafe. We suggest you use test tokens that map to the test card you are using, see https://stripe.com/docs/testing. To enable testing raw card data APIs, see https://support.stripe.com/questions/enabling-access-to-raw-card-data-apis.';

/** POST /v1/payment_methods: a card PaymentMethod from card details or a test token. */
export function createPaymentMethod(ctx: FakeContext, account: FakeAccount, params: FormObject): StoredPaymentMethod {
  for (const name of Object.keys(params)) if (!PAYMENT_METHOD_PARAMS.has(name)) throw unknownParam(name);
  const type = stringParam(params, 'type');
  if (!type) throw missingParam('type');
  if (type !== 'card') throw invalidRequest(`The payment method type "${type}" is not supported by the fake.`, { param: 'type' });
  return paymentMethodFromCard(ctx, account, objectParam(params, 'card'), 'card');
}

/**
 * The PaymentMethod a PaymentIntent is confirmed with: `payment_method` (an id of the account, or
 * a documented test id such as `pm_card_visa`, which makes a fresh one) or `payment_method_data`.
 */
export function paymentMethodForIntent(ctx: FakeContext, account: FakeAccount, params: FormObject): StoredPaymentMethod | undefined {
  const id = stringParam(params, 'payment_method');
  const data = objectParam(params, 'payment_method_data');
  if (id && data) throw invalidRequest('You cannot provide both payment_method and payment_method_data.', { param: 'payment_method_data' });
  if (data) {
    const type = stringParam(data, 'type');
    if (!type) throw missingParam('payment_method_data[type]');
    if (type !== 'card')
      throw invalidRequest(`The payment method type "${type}" is not supported by the fake.`, { param: 'payment_method_data[type]' });
    return paymentMethodFromCard(ctx, account, objectParam(data, 'card'), 'payment_method_data[card]');
  }
  if (!id) return undefined;
  const test = cardOfTestPaymentMethod(id);
  if (test) return store(account, test, paymentMethodObject(test, 12, yearOf(ctx) + 3, seconds(ctx.now()), account.livemode));
  const stored = account.paymentMethods.get(id);
  if (!stored) throw invalidRequest(`No such PaymentMethod: '${id}'`, { code: 'resource_missing', param: 'payment_method' });
  return stored;
}

function paymentMethodFromCard(ctx: FakeContext, account: FakeAccount, card: FormObject | undefined, param: string): StoredPaymentMethod {
  if (!card) throw missingParam(param);
  for (const name of Object.keys(card)) if (!CARD_PARAMS.has(name)) throw unknownParam(`${param}[${name}]`);
  const created = seconds(ctx.now());
  const token = stringParam(card, 'token');
  if (token) {
    const test = cardOfTestToken(token);
    if (!test) throw invalidRequest(`No such token: '${token}'`, { code: 'resource_missing', param: `${param}[token]` });
    return store(account, test, paymentMethodObject(test, 12, yearOf(ctx) + 3, created, account.livemode));
  }
  const number = stringParam(card, 'number')?.replace(/[\s-]/g, '');
  if (!number) throw missingParam(`${param}[number]`);
  if (!account.rawCardData) throw invalidRequest(RAW_CARD_DATA_REFUSED);
  const expMonth = integer(stringParam(card, 'exp_month'), `${param}[exp_month]`);
  const expYear4 = integer(stringParam(card, 'exp_year'), `${param}[exp_year]`);
  const expYear = expYear4 < 100 ? 2000 + expYear4 : expYear4;
  const cvc = stringParam(card, 'cvc');
  const known: FakeCard | undefined = luhnValid(number) ? cardOfNumber(number) : undefined;
  if (!known) throw cardError('incorrect_number', 'Your card number is incorrect.', 'number');
  if (expMonth < 1 || expMonth > 12) throw cardError('invalid_expiry_month', "Your card's expiration month is invalid.", 'exp_month');
  const now = new Date(ctx.now());
  if (expYear < now.getUTCFullYear() || expYear > now.getUTCFullYear() + 50)
    throw cardError('invalid_expiry_year', "Your card's expiration year is invalid.", 'exp_year');
  if (expYear === now.getUTCFullYear() && expMonth < now.getUTCMonth() + 1)
    throw cardError('invalid_expiry_month', "Your card's expiration month is invalid.", 'exp_month');
  if (cvc !== undefined && !/^\d{3,4}$/.test(cvc)) throw cardError('invalid_cvc', "Your card's security code is invalid.", 'cvc');
  return store(account, known, paymentMethodObject(known, expMonth, expYear, created, account.livemode));
}

function store(account: FakeAccount, card: FakeCard, object: StoredPaymentMethod['object']): StoredPaymentMethod {
  const stored = { object, card, usedBy: null };
  account.paymentMethods.set(object.id, stored);
  return stored;
}

function integer(value: string | undefined, param: string): number {
  if (value === undefined) throw missingParam(param);
  if (!/^\d+$/.test(value)) throw invalidRequest(`Invalid integer: ${value}`, { code: 'parameter_invalid_integer', param });
  return Number(value);
}

/** Card details Stripe rejects before any charge: a 402 card_error naming the field. */
function cardError(code: string, message: string, param: string): FakeApiError {
  return new FakeApiError(402, { type: 'card_error', code, doc_url: docUrl(code), message, param }, false);
}

const yearOf = (ctx: FakeContext) => new Date(ctx.now()).getUTCFullYear();
