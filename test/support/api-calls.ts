import type { z } from 'zod';
import type { createApiKeyBody, createdApiKeySchema } from '../../src/merchants/api-key-schemas';
import type { customerSchema, createCustomerBody } from '../../src/customers/customer-schemas';
import type { disputeSchema, simulateDisputeBody } from '../../src/disputes/dispute-schemas';
import type { cancelPaymentBody, capturePaymentBody, createPaymentBody, paymentSchema } from '../../src/payments/payment-schemas';
import type { createPlanBody, planSchema } from '../../src/plans/plan-schemas';
import type { createRefundBody, refundSchema } from '../../src/refunds/refund-schemas';
import type { createSubscriptionBody, subscriptionSchema } from '../../src/subscriptions/subscription-schemas';
import type { createEndpointBody, endpointSchema } from '../../src/webhooks/webhook-schemas';
import { eventually, type ApiResponse, type TestMerchant, type TestStack } from './test-stack';

/**
 * The API calls many tests make to set a scene: create a payment, capture it, refund it, and so on.
 * Each returns the object the API created, and throws with the status and body when the API answers
 * otherwise; with `raw: true` it returns the answer as it came, for a test that asserts on it itself.
 * Bodies are the API's own request types, so a test that sends what the API refuses calls
 * `stack.request` directly.
 */

/** Whose key a call is made with: a merchant from `createMerchant`, or `{ apiKey }` for a key made otherwise. */
export type Caller = Pick<TestMerchant, 'apiKey'>;

export type Payment = z.output<typeof paymentSchema>;
export type Refund = z.output<typeof refundSchema>;
export type Dispute = z.output<typeof disputeSchema>;
export type Customer = z.output<typeof customerSchema>;
export type Plan = z.output<typeof planSchema>;
export type Subscription = z.output<typeof subscriptionSchema>;
export type WebhookEndpoint = z.output<typeof endpointSchema>;
export type CreatedApiKey = z.output<typeof createdApiKeySchema>;
/** An endpoint as its creation answers it: the only time its secret is shown. */
export type CreatedWebhookEndpoint = WebhookEndpoint & { secret: string };

/** What every call takes besides its body. */
export interface CallOptions {
  /** Sent as the Idempotency-Key header. */
  idempotencyKey?: string;
  /** Further request headers. */
  headers?: Record<string, string>;
  /** Return the answer as it came, whatever its status, instead of the object. */
  raw?: boolean;
}

/** The object, or with `raw: true` the whole answer (its body may be an error, so it is untyped). */
export type Answer<O, T> = O extends { raw: true } ? ApiResponse : T;

/** `O` with no field `Shape` lacks, so a misspelt option is a compile error rather than a field sent in the body. */
type Exactly<O, Shape> = O & Record<Exclude<keyof O, keyof Shape>, never>;

/** An answer other than the one a helper expected, with what the API said. */
export class UnexpectedAnswerError extends Error {
  constructor(
    readonly method: string,
    readonly path: string,
    readonly response: ApiResponse,
    expected: string,
  ) {
    super(`${method} ${path} answered ${response.status} ${JSON.stringify(response.body)}; expected ${expected}`);
    this.name = 'UnexpectedAnswerError';
  }
}

interface Call<T> {
  method: string;
  path: string;
  body: unknown;
  /** The HTTP status of success. */
  status: number;
  /** A further check of the object, e.g. its status; a description of what was expected when it fails. */
  check?: (body: T) => string | undefined;
}

async function send<T>(stack: TestStack, caller: Caller, call: Call<T>, options: CallOptions): Promise<ApiResponse | T> {
  const headers = { ...(options.idempotencyKey !== undefined ? { 'Idempotency-Key': options.idempotencyKey } : {}), ...options.headers };
  const response = await stack.request(call.method, call.path, { apiKey: caller.apiKey, body: call.body, headers });
  if (options.raw) return response;
  if (response.status !== call.status) throw new UnexpectedAnswerError(call.method, call.path, response, String(call.status));
  const failed = call.check?.(response.body);
  if (failed) throw new UnexpectedAnswerError(call.method, call.path, response, failed);
  return response.body as T;
}

/** Split a helper's options into the call's own and the body's fields. */
function split<O extends CallOptions>(options: O): [CallOptions, Omit<O, keyof CallOptions>] {
  const { idempotencyKey, headers, raw, ...fields } = options;
  return [{ idempotencyKey, headers, raw }, fields];
}

const statusIs =
  <T extends { status: string }>(expected: T['status'] | undefined) =>
  (object: T) =>
    expected === undefined || object.status === expected ? undefined : `status ${expected}`;

type PaymentBody = z.input<typeof createPaymentBody>;
export type CreatePaymentOptions = Omit<PaymentBody, 'currency' | 'source'> &
  Partial<Pick<PaymentBody, 'currency' | 'source'>> &
  CallOptions & {
    /** The payment status the test builds on (succeeded, requires_capture...); another throws. */
    expectStatus?: Payment['status'];
  };

/** POST /v1/payments, in USD with tok_visa unless given: the payment (201). */
export async function createPayment<O extends CreatePaymentOptions>(
  stack: TestStack,
  caller: Caller,
  options: Exactly<O, CreatePaymentOptions>,
): Promise<Answer<O, Payment>> {
  const [call, { expectStatus, ...fields }] = split(options);
  const body = { currency: 'USD', source: 'tok_visa', ...fields };
  return send<Payment>(
    stack,
    caller,
    { method: 'POST', path: '/v1/payments', body, status: 201, check: statusIs(expectStatus) },
    call,
  ) as Promise<Answer<O, Payment>>;
}

/** GET /v1/payments/:id: the payment (200). */
export async function getPayment<O extends CallOptions>(
  stack: TestStack,
  caller: Caller,
  paymentId: string,
  options = {} as Exactly<O, CallOptions>,
): Promise<Answer<O, Payment>> {
  return send<Payment>(
    stack,
    caller,
    { method: 'GET', path: `/v1/payments/${paymentId}`, body: undefined, status: 200 },
    options,
  ) as Promise<Answer<O, Payment>>;
}

export type CapturePaymentOptions = z.input<typeof capturePaymentBody> & CallOptions;

/** POST /v1/payments/:id/capture, of the whole authorization unless `amount` is given: the payment (200). */
export async function capturePayment<O extends CapturePaymentOptions>(
  stack: TestStack,
  caller: Caller,
  paymentId: string,
  options = {} as Exactly<O, CapturePaymentOptions>,
): Promise<Answer<O, Payment>> {
  const [call, body] = split(options);
  return send<Payment>(stack, caller, { method: 'POST', path: `/v1/payments/${paymentId}/capture`, body, status: 200 }, call) as Promise<
    Answer<O, Payment>
  >;
}

export type CancelPaymentOptions = z.input<typeof cancelPaymentBody> & CallOptions;

/** POST /v1/payments/:id/cancel: the payment (200). */
export async function cancelPayment<O extends CancelPaymentOptions>(
  stack: TestStack,
  caller: Caller,
  paymentId: string,
  options = {} as Exactly<O, CancelPaymentOptions>,
): Promise<Answer<O, Payment>> {
  const [call, body] = split(options);
  return send<Payment>(stack, caller, { method: 'POST', path: `/v1/payments/${paymentId}/cancel`, body, status: 200 }, call) as Promise<
    Answer<O, Payment>
  >;
}

/**
 * Polls GET /v1/payments/:id until the payment has `until` as its status (or `until` holds for it),
 * and returns it; fails after `timeoutMs` with the last answer.
 */
export async function waitForPayment(
  stack: TestStack,
  caller: Caller,
  paymentId: string,
  until: Payment['status'] | ((payment: Payment) => boolean),
  { timeoutMs = 30_000, intervalMs = 100 }: { timeoutMs?: number; intervalMs?: number } = {},
): Promise<Payment> {
  const matches = typeof until === 'function' ? until : (payment: Payment) => payment.status === until;
  let last: ApiResponse | undefined;
  try {
    return await eventually(
      async () => {
        last = await stack.request('GET', `/v1/payments/${paymentId}`, { apiKey: caller.apiKey });
        return last.status === 200 && matches(last.body) ? (last.body as Payment) : undefined;
      },
      timeoutMs,
      intervalMs,
    );
  } catch (error) {
    const wanted = typeof until === 'function' ? 'the awaited state' : `status ${until}`;
    throw new Error(
      `payment ${paymentId} did not reach ${wanted} within ${timeoutMs} ms; last answer ${last?.status} ${JSON.stringify(last?.body)}`,
      { cause: error },
    );
  }
}

export type CreateRefundOptions = Omit<z.input<typeof createRefundBody>, 'payment_id'> &
  CallOptions & {
    /** The refund status the test builds on (succeeded, failed); another throws. */
    expectStatus?: Refund['status'];
  };

/** POST /v1/refunds of a payment, of everything still refundable unless `amount` is given: the refund (201). */
export async function createRefund<O extends CreateRefundOptions>(
  stack: TestStack,
  caller: Caller,
  paymentId: string,
  options = {} as Exactly<O, CreateRefundOptions>,
): Promise<Answer<O, Refund>> {
  const [call, { expectStatus, ...fields }] = split(options);
  const body = { payment_id: paymentId, ...fields };
  return send<Refund>(
    stack,
    caller,
    { method: 'POST', path: '/v1/refunds', body, status: 201, check: statusIs(expectStatus) },
    call,
  ) as Promise<Answer<O, Refund>>;
}

export type SimulateDisputeOptions = z.input<typeof simulateDisputeBody> & CallOptions;

/** POST /v1/test_helpers/payments/:id/dispute, the network opening a dispute: the dispute (201). */
export async function simulateDispute<O extends SimulateDisputeOptions>(
  stack: TestStack,
  caller: Caller,
  paymentId: string,
  options = {} as Exactly<O, SimulateDisputeOptions>,
): Promise<Answer<O, Dispute>> {
  const [call, body] = split(options);
  return send<Dispute>(
    stack,
    caller,
    { method: 'POST', path: `/v1/test_helpers/payments/${paymentId}/dispute`, body, status: 201 },
    call,
  ) as Promise<Answer<O, Dispute>>;
}

type CustomerBody = z.input<typeof createCustomerBody>;
export type CreateCustomerOptions = Omit<CustomerBody, 'source'> & Partial<Pick<CustomerBody, 'source'>> & CallOptions;

/** POST /v1/customers, paying with tok_visa unless given: the customer (201). */
export async function createCustomer<O extends CreateCustomerOptions>(
  stack: TestStack,
  caller: Caller,
  options: Exactly<O, CreateCustomerOptions>,
): Promise<Answer<O, Customer>> {
  const [call, fields] = split(options);
  const body = { source: 'tok_visa', ...fields };
  return send<Customer>(stack, caller, { method: 'POST', path: '/v1/customers', body, status: 201 }, call) as Promise<Answer<O, Customer>>;
}

type PlanBody = z.input<typeof createPlanBody>;
export type CreatePlanOptions = Omit<PlanBody, 'currency'> & Partial<Pick<PlanBody, 'currency'>> & CallOptions;

/** POST /v1/plans, in USD unless given: the plan (201). */
export async function createPlan<O extends CreatePlanOptions>(
  stack: TestStack,
  caller: Caller,
  options: Exactly<O, CreatePlanOptions>,
): Promise<Answer<O, Plan>> {
  const [call, fields] = split(options);
  const body = { currency: 'USD', ...fields };
  return send<Plan>(stack, caller, { method: 'POST', path: '/v1/plans', body, status: 201 }, call) as Promise<Answer<O, Plan>>;
}

export type CreateSubscriptionOptions = z.input<typeof createSubscriptionBody> & CallOptions;

/** POST /v1/subscriptions: the subscription (201). */
export async function createSubscription<O extends CreateSubscriptionOptions>(
  stack: TestStack,
  caller: Caller,
  options: Exactly<O, CreateSubscriptionOptions>,
): Promise<Answer<O, Subscription>> {
  const [call, body] = split(options);
  return send<Subscription>(stack, caller, { method: 'POST', path: '/v1/subscriptions', body, status: 201 }, call) as Promise<
    Answer<O, Subscription>
  >;
}

export type CreateWebhookEndpointOptions = z.input<typeof createEndpointBody> & CallOptions;

/** POST /v1/webhook_endpoints: the endpoint (201), with its secret. */
export async function createWebhookEndpoint<O extends CreateWebhookEndpointOptions>(
  stack: TestStack,
  caller: Caller,
  options: Exactly<O, CreateWebhookEndpointOptions>,
): Promise<Answer<O, CreatedWebhookEndpoint>> {
  const [call, body] = split(options);
  const check = (endpoint: CreatedWebhookEndpoint) => (typeof endpoint.secret === 'string' ? undefined : 'the secret');
  return send<CreatedWebhookEndpoint>(
    stack,
    caller,
    { method: 'POST', path: '/v1/webhook_endpoints', body, status: 201, check },
    call,
  ) as Promise<Answer<O, CreatedWebhookEndpoint>>;
}

export type CreateApiKeyOptions = z.input<typeof createApiKeyBody> & CallOptions;

/** POST /v1/api_keys, another key for the caller's merchant: the key (201), with its secret. */
export async function createApiKey<O extends CreateApiKeyOptions>(
  stack: TestStack,
  caller: Caller,
  options = {} as Exactly<O, CreateApiKeyOptions>,
): Promise<Answer<O, CreatedApiKey>> {
  const [call, body] = split(options);
  return send<CreatedApiKey>(stack, caller, { method: 'POST', path: '/v1/api_keys', body, status: 201 }, call) as Promise<
    Answer<O, CreatedApiKey>
  >;
}
