import { apiRoutes, type AppDeps } from '../../src/api/app';
import type { ApiRoute } from '../../src/api/route';
import { eventually, type TestStack } from './test-stack';
import { makeAvailable } from './ledger';
import {
  createCustomer,
  createPayment,
  createPlan,
  createRefund,
  createSubscription,
  createWebhookEndpoint,
  simulateDispute,
} from './api-calls';

/**
 * Every route the API serves, from the same list the router mounts. Only the route definitions are
 * read, never their handlers, so the services can be stand-ins.
 */
export function allRoutes(): ApiRoute[] {
  const standIn = new Proxy({}, { get: () => ({}) });
  return apiRoutes(new Proxy({}, { get: () => standIn }) as AppDeps);
}

export const routeName = (route: ApiRoute) => `${route.method.toUpperCase()} ${route.path}`;

/** One merchant's real objects, one of each kind a path can name. */
export interface MerchantObjects {
  payment: string;
  heldPayment: string;
  refund: string;
  dispute: string;
  webhookEndpoint: string;
  event: string;
  customer: string;
  plan: string;
  subscription: string;
  invoice: string;
  reconciliation: string;
  apiKey: string;
  /** A sandbox gateway account: new payments route through it, as they would through the built-in sandbox. */
  gatewayAccount: string;
  /** An open checkout session: its API and its hosted page. */
  checkoutSession: string;
  /** An OAuth client of the merchant (oc_...). */
  oauthClient: string;
  /** A bank account (NL); the valid create body adds another (DE), so the two never clash as duplicates. */
  bankAccount: string;
  /** A pending payout (to the bank account, from funds made available for the fixtures). */
  payout: string;
  /** A merchant of its own for the admin routes that act on a merchant (pausing payouts), so they never change this one's. */
  adminTargetMerchant: string;
  /** A succeeded report run (frr_...) and its file (file_...). */
  reportRun: string;
  file: string;
  feeInvoice?: string;
}

const SETTLEMENT_HEADER = 'gateway_reference,amount,currency,date';

/** Creates a merchant's objects through the API (the stack should run subscriptions with compressed time so the first invoice comes at once). */
export async function createMerchantObjects(stack: TestStack, apiKey: string): Promise<MerchantObjects> {
  const caller = { apiKey };
  const call = async (method: string, path: string, body?: unknown) => {
    const response = await stack.request(method, path, { apiKey, body });
    if (response.status >= 300) throw new Error(`${method} ${path} answered ${response.status}: ${JSON.stringify(response.body)}`);
    return response.body;
  };
  const payment = await createPayment(stack, caller, { amount: 50 });
  const heldPayment = await createPayment(stack, caller, { amount: 20, capture: false });
  const refund = await createRefund(stack, caller, payment.id, { amount: 5 });
  const dispute = await simulateDispute(stack, caller, payment.id, { amount: 10 });
  const customer = await createCustomer(stack, caller, { email: 'owner@example.com' });
  // The longest period there is: under compressed time a monthly plan renews every 30 s, and a renewal
  // (an invoice, a payment, events) in the middle of a test that checks what each request wrote is noise.
  const plan = await createPlan(stack, caller, { name: 'Every three years', amount: 9, interval: 'year', interval_count: 3 });
  const subscription = await createSubscription(stack, caller, { customer: customer.id, plan: plan.id });
  if (!subscription.latest_invoice) throw new Error('the subscription has no invoice yet: run the stack with compressed subscription time');
  const today = new Date().toISOString().slice(0, 10);
  const reconciliation = await call('POST', '/v1/reconciliations', {
    file: `${SETTLEMENT_HEADER}\r\n`,
    period_start: today,
    period_end: today,
  });
  const events = await call('GET', '/v1/events?limit=1');
  const keys = await call('GET', '/v1/api_keys?limit=1');
  // Subscribed to an event nobody here emits, so no delivery runs against the unreachable URL.
  const gatewayAccount = await call('POST', '/v1/gateway_accounts', { gateway: 'sandbox', description: 'Fixture account' });
  const checkoutSession = await call('POST', '/v1/checkout_sessions', {
    amount: 3,
    currency: 'USD',
    success_url: 'https://shop.example/ok',
    cancel_url: 'https://shop.example/back',
  });
  const oauthClient = await call('POST', '/v1/oauth/clients', { name: 'Fixture client', scopes: ['payments:read'] });
  const bankAccount = await call('POST', '/v1/bank_accounts', {
    country: 'NL',
    currency: 'EUR',
    account_holder_name: 'Fixture holder',
    iban: 'NL91ABNA0417164300',
  });
  const [{ merchant_id: merchantId }] = await stack.orm.em
    .getConnection()
    .execute<{ merchant_id: string }[]>(`select merchant_id from bank_accounts where id = ?`, [bankAccount.id]);
  await makeAvailable(stack.orm, merchantId, 'EUR', 100_000);
  const payout = await call('POST', '/v1/payouts', { amount: 1, currency: 'EUR' });
  const adminTargetMerchant = await stack.createMerchant('Admin route fixture');
  // Made on first read: made here, so reading it later writes nothing.
  await call('GET', '/v1/checkout_settings');
  const createdRun = await call('POST', '/v1/reporting/report_runs', {
    report_type: 'transactions',
    parameters: { from: today, to: today },
  });
  const reportRun = await eventually(async () => {
    const run = await call('GET', `/v1/reporting/report_runs/${createdRun.id}`);
    return run.status === 'pending' ? undefined : run;
  });
  if (reportRun.status !== 'succeeded') throw new Error(`the fixture report run ${reportRun.status}: ${reportRun.error}`);
  const webhookEndpoint = await createWebhookEndpoint(stack, caller, {
    url: 'http://127.0.0.1:9/hook',
    enabled_events: ['payment.requires_review'],
  });
  return {
    payment: payment.id,
    heldPayment: heldPayment.id,
    refund: refund.id,
    dispute: dispute.id,
    webhookEndpoint: webhookEndpoint.id,
    event: events.data[0].id,
    customer: customer.id,
    plan: plan.id,
    subscription: subscription.id,
    invoice: subscription.latest_invoice,
    reconciliation: reconciliation.id,
    apiKey: keys.data[0].id,
    gatewayAccount: gatewayAccount.id,
    checkoutSession: checkoutSession.id,
    oauthClient: oauthClient.id,
    bankAccount: bankAccount.id,
    payout: payout.id,
    adminTargetMerchant: adminTargetMerchant.id,
    reportRun: reportRun.id,
    file: reportRun.result.id,
  };
}

/** Which object a path's `:id` names, by the path before it; a route under a new prefix has no entry and fails the tests that need one. */
export function objectForPath(path: string, objects: MerchantObjects): string | undefined {
  const prefix = path.slice(0, path.indexOf('/:'));
  const byPrefix: Record<string, string | undefined> = {
    '/v1/payments':
      path.endsWith('/capture') || path.endsWith('/cancel') || path.endsWith('/review') ? objects.heldPayment : objects.payment,
    '/v1/test_helpers/payments': objects.payment,
    '/v1/refunds': objects.refund,
    '/v1/disputes': objects.dispute,
    '/v1/test_helpers/disputes': objects.dispute,
    '/v1/webhook_endpoints': objects.webhookEndpoint,
    '/v1/events': objects.event,
    '/v1/customers': objects.customer,
    '/v1/plans': objects.plan,
    '/v1/subscriptions': objects.subscription,
    '/v1/invoices': objects.invoice,
    '/v1/billing/invoices': objects.feeInvoice,
    '/v1/reconciliations': objects.reconciliation,
    '/v1/admin/reconciliations': objects.reconciliation,
    '/v1/api_keys': objects.apiKey,
    '/v1/gateway_accounts': objects.gatewayAccount,
    '/v1/gateway_events/stripe': objects.gatewayAccount,
    '/v1/gateway_events/adyen': objects.gatewayAccount,
    '/v1/checkout_sessions': objects.checkoutSession,
    '/v1/oauth/clients': objects.oauthClient,
    '/pay': objects.checkoutSession,
    '/v1/bank_accounts': objects.bankAccount,
    '/v1/admin/merchants': objects.adminTargetMerchant,
    '/v1/payouts': objects.payout,
    '/v1/reporting/report_runs': objects.reportRun,
    '/v1/files': objects.file,
    '/v1/currencies': 'EUR',
  };
  return byPrefix[prefix];
}

/** A body each route would accept, by route; a route added with a body schema and no entry here fails the tests that need one. */
export function validBodies(objects: MerchantObjects): Record<string, unknown> {
  const today = new Date().toISOString().slice(0, 10);
  return {
    'POST /v1/merchants': { name: 'Valid body' },
    'POST /v1/api_keys': {},
    'POST /v1/api_keys/:id/revoke': {},
    'POST /v1/oauth/clients': { name: 'Another client', scopes: ['payments:read', 'refunds:write'] },
    'POST /v1/oauth/clients/:id/rotate_secret': { expire_current_in_hours: 1 },
    // No client authenticates here: the token endpoints answer 401 invalid_client, writing nothing.
    'POST /v1/oauth/token': { grant_type: 'client_credentials', scope: 'payments:read' },
    'POST /v1/oauth/revoke': { token: 'lfat_unknown', token_type_hint: 'access_token' },
    'POST /v1/tokens': { card: { number: '4242424242424242', exp_month: 12, exp_year: 2040, cvc: '123' } },
    'POST /v1/payments': { amount: 1, currency: 'USD', source: 'tok_visa' },
    'POST /v1/payments/:id/capture': { amount: 1 },
    'POST /v1/payments/:id/cancel': {},
    'POST /v1/payments/:id/review': { decision: 'approve' },
    'POST /v1/refunds': { payment_id: objects.payment, amount: 1 },
    'POST /v1/disputes/:id/evidence': { evidence: { product_description: 'A mug' }, submit: false },
    'POST /v1/webhook_endpoints': { url: 'http://127.0.0.1:9/other', enabled_events: ['payment.requires_review'] },
    'PATCH /v1/webhook_endpoints/:id': { description: 'renamed' },
    'POST /v1/events/:id/redeliver': {},
    'POST /v1/customers': { email: 'new@example.com', source: 'tok_visa' },
    'POST /v1/customers/:id/sources': { source: 'tok_mastercard' },
    'POST /v1/plans': { name: 'Weekly', amount: 2, currency: 'USD', interval: 'week' },
    'POST /v1/subscriptions': { customer: objects.customer, plan: objects.plan },
    'POST /v1/subscriptions/:id/cancel': { at_period_end: true },
    'POST /v1/subscriptions/:id/pause': {},
    'POST /v1/subscriptions/:id/resume': {},
    'PATCH /v1/subscriptions/:id': { cancel_at_period_end: true },
    'POST /v1/reconciliations': { file: `${SETTLEMENT_HEADER}\r\n`, period_start: today, period_end: today },
    'POST /v1/test_helpers/payments/:id/dispute': {},
    'POST /v1/test_helpers/disputes/:id/resolve': { outcome: 'won' },
    'POST /v1/gateway_accounts': { gateway: 'sandbox', description: 'Another sandbox account' },
    'PATCH /v1/gateway_accounts/:id': { description: 'renamed' },
    'PUT /v1/routing': { rules: [{ accounts: [objects.gatewayAccount] }] },
    'POST /v1/gateway_events/stripe/:account': { id: 'evt_fixture', type: 'charge.dispute.created', data: { object: {} } },
    'POST /v1/checkout_sessions': {
      amount: 2,
      currency: 'EUR',
      success_url: 'https://shop.example/ok',
      cancel_url: 'https://shop.example/back',
    },
    'POST /v1/bank_accounts': { country: 'DE', currency: 'EUR', account_holder_name: 'Jenny Rosen', iban: 'DE89370400440532013000' },
    'POST /v1/bank_accounts/:id': { account_holder_name: 'Renamed holder' },
    'POST /v1/payout_schedule': { interval: 'weekly', weekly_anchor: 'friday', delay_days: 2, minimum_amounts: { EUR: 10 } },
    'POST /v1/admin/merchants/:id/payouts/pause': { reason: 'Fixture pause' },
    'POST /v1/payouts': { amount: 1, currency: 'EUR' },
    'POST /v1/payouts/:id/cancel': {},
    'POST /v1/reporting/report_runs': { report_type: 'transactions', parameters: { from: today, to: today } },
    'POST /v1/gateway_events/adyen/:account': {
      live: 'false',
      notificationItems: [{ NotificationRequestItem: { eventCode: 'REPORT_AVAILABLE', pspReference: 'FIXTURE', success: 'true' } }],
    },
  };
}
