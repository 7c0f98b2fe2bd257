import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';
import { paymentWorkflowId } from '../../src/payments/payment-state';
import { startTestStack, TEST_ADMIN_KEY, type TestStack } from '../support/test-stack';
import { startWebhookReceiver } from '../support/webhook-receiver';
import { startStripeFake } from '../../src/gateways/stripe/stripe-fake';
import { ADYEN_TEST_CARDS, startAdyenFake } from '../../src/gateways/adyen/adyen-fake';
import { randomBase62 } from '../../src/shared/ids';
import {
  cancelPayment,
  capturePayment,
  createCustomer,
  createPayment,
  createPlan,
  createRefund,
  createSubscription,
  createWebhookEndpoint,
  simulateDispute,
} from '../support/api-calls';

/**
 * Records the payment histories the replay test checks new code against. Runs only with
 * RECORD_HISTORIES=1 (`npm run record:histories`), after a deliberate change to the workflow.
 */
const HISTORIES = path.join(__dirname, 'histories');
let stack: TestStack;

/** Runs each scenario (which returns a workflow id), waits for its workflow to close, and saves its history under the scenario's name. */
async function saveHistories(on: TestStack, scenarios: Record<string, () => Promise<string>>): Promise<void> {
  fs.mkdirSync(HISTORIES, { recursive: true });
  for (const [name, run] of Object.entries(scenarios)) {
    const handle = on.client.workflow.getHandle(await run());
    await handle.result();
    fs.writeFileSync(path.join(HISTORIES, `${name}.json`), `${historyToJSON(await handle.fetchHistory())}\n`);
  }
}

describe.runIf(process.env.RECORD_HISTORIES === '1')('record payment histories', () => {
  beforeAll(async () => {
    stack = await startTestStack();
  });

  it('when every refund and dispute path runs, then its history is saved', async () => {
    const merchant = await stack.createMerchant('Replay recordings: refunds and disputes');
    const post = (path: string, body: Record<string, unknown>) => stack.request('POST', path, { apiKey: merchant.apiKey, body });
    const captured = async (source = 'tok_visa') => (await createPayment(stack, merchant, { amount: 50, source })).id;
    const scenarios: Record<string, () => Promise<string>> = {
      'refund-succeeded': async () => `refund-${(await createRefund(stack, merchant, await captured(), { amount: 20 })).id}`,
      'refund-gateway-failed': async () => `refund-${(await createRefund(stack, merchant, await captured('tok_refund_fails'))).id}`,
      'dispute-won-after-evidence': async () => {
        const dispute = await simulateDispute(stack, merchant, await captured());
        await post(`/v1/disputes/${dispute.id}/evidence`, { evidence: { receipt: 'draft' }, submit: false });
        await post(`/v1/disputes/${dispute.id}/evidence`, { evidence: { product_description: 'mug' } });
        await post(`/v1/test_helpers/disputes/${dispute.id}/resolve`, { outcome: 'won' });
        return `dispute-${dispute.id}`;
      },
      'dispute-accepted': async () => {
        const dispute = await simulateDispute(stack, merchant, await captured());
        await post(`/v1/disputes/${dispute.id}/close`, {});
        return `dispute-${dispute.id}`;
      },
    };
    const receiver = await startWebhookReceiver({ '/once-failing': (count) => ({ status: count === 1 ? 500 : 200 }) });
    scenarios['webhook-delivered-after-retry'] = async () => {
      const hooked = await stack.createMerchant('Replay recordings: webhooks');
      await createWebhookEndpoint(stack, hooked, { url: receiver.url('/once-failing'), enabled_events: ['payment.succeeded'] });
      await createPayment(stack, hooked, { amount: 5 });
      const ids: string[] = [];
      while (ids.length === 0) {
        for await (const wf of stack.client.workflow.list({
          query: `MerchantId = '${hooked.id}' AND WorkflowType = 'webhookDeliveryWorkflow'`,
        }))
          ids.push(wf.workflowId);
        if (ids.length === 0) await new Promise((resolve) => setTimeout(resolve, 200));
      }
      return ids[0];
    };
    fs.mkdirSync(HISTORIES, { recursive: true });
    for (const [name, run] of Object.entries(scenarios)) {
      const handle = stack.client.workflow.getHandle(await run());
      await handle.result();
      fs.writeFileSync(path.join(HISTORIES, `${name}.json`), `${historyToJSON(await handle.fetchHistory())}\n`);
    }
    await receiver.close();
    expect(fs.existsSync(path.join(HISTORIES, 'dispute-accepted.json'))).toBe(true);
  });
  afterAll(async () => stack?.close());

  it.skipIf(process.env.RECORD_FINANCE !== '1')('when each finance job runs, then its history is saved', async () => {
    const merchant = await stack.createMerchant('Replay recordings: finance', { settlement_delay_days: 0 });
    await createPayment(stack, merchant, { amount: 12 });
    const today = new Date().toISOString().slice(0, 10);
    const jobs: Record<string, [string, unknown[]]> = {
      'settlement-run': ['settlementWorkflow', [{ merchantIds: [merchant.id] }]],
      'ledger-daily-check': ['dailyLedgerCheckWorkflow', []],
      'fee-invoice-run': ['feeInvoiceRunWorkflow', [{ period: '2026-10', merchantIds: [merchant.id] }]],
      'sandbox-reconciliation': ['dailyReconciliationWorkflow', [{ day: today }]],
    };
    fs.mkdirSync(HISTORIES, { recursive: true });
    for (const [name, [workflowType, args]] of Object.entries(jobs)) {
      const handle = await stack.client.workflow.start(workflowType, {
        taskQueue: stack.taskQueue,
        workflowId: `${name}-${merchant.id}`,
        args,
      });
      await handle.result();
      fs.writeFileSync(path.join(HISTORIES, `${name}.json`), `${historyToJSON(await handle.fetchHistory())}\n`);
    }
    expect(fs.existsSync(path.join(HISTORIES, 'sandbox-reconciliation.json'))).toBe(true);
  });

  it.skipIf(process.env.RECORD_SUBSCRIPTIONS !== '1')(
    'when a subscription lives through renewals, a failed charge, a new card, a plan change and a cancellation, then its history is saved',
    async () => {
      // A day lasts a second here, so the workflow bills several periods while the test waits.
      const fast = await startTestStack({ env: { SUBSCRIPTION_TIME_SCALE: '86400' } });
      try {
        const merchant = await fast.createMerchant('Replay recordings: subscriptions');
        const call = (method: string, url: string, body?: unknown) => fast.request(method, url, { apiKey: merchant.apiKey, body });
        const customer = (await createCustomer(fast, merchant, { email: 'replay@example.com' })).id;
        const basic = (await createPlan(fast, merchant, { name: 'Basic', amount: 3, interval: 'day' })).id;
        const pro = (await createPlan(fast, merchant, { name: 'Pro', amount: 6, interval: 'day' })).id;
        const subscription = (await createSubscription(fast, merchant, { customer, plan: basic })).id;
        await call('POST', `/v1/customers/${customer}/sources`, { source: 'tok_insufficient_funds' });
        await new Promise((resolve) => setTimeout(resolve, 1_500));
        await call('POST', `/v1/customers/${customer}/sources`, { source: 'tok_visa' });
        await call('PATCH', `/v1/subscriptions/${subscription}`, { plan: pro });
        await new Promise((resolve) => setTimeout(resolve, 1_500));
        await call('POST', `/v1/subscriptions/${subscription}/pause`, {});
        await call('POST', `/v1/subscriptions/${subscription}/resume`, {});
        await call('POST', `/v1/subscriptions/${subscription}/cancel`, {});
        const handle = fast.client.workflow.getHandle(`subscription-${subscription}`);
        await handle.result();
        fs.mkdirSync(HISTORIES, { recursive: true });
        fs.writeFileSync(path.join(HISTORIES, 'subscription-lifecycle.json'), `${historyToJSON(await handle.fetchHistory())}\n`);
      } finally {
        await fast.close();
      }
    },
    60_000,
  );

  it.skipIf(process.env.RECORD_REVIEW !== '1')(
    'when payments are held for review and approved, declined or left to time out, then their histories are saved',
    async () => {
      // A one-second review timeout, so the timeout path finishes while the test waits.
      const fast = await startTestStack({ env: { PAYMENT_REVIEW_TIMEOUT: '1s' } });
      try {
        const merchant = await fast.createMerchant('Replay recordings: review');
        const held = async () => (await createPayment(fast, merchant, { amount: 25, source: 'tok_risk_elevated' })).id;
        const decide = async (decision: string) => {
          const id = await held();
          await fast.request('POST', `/v1/payments/${id}/review`, { apiKey: TEST_ADMIN_KEY, body: { decision, note: 'replay recording' } });
          return id;
        };
        const scenarios: Record<string, () => Promise<string>> = {
          'review-approved': () => decide('approve'),
          'review-declined': () => decide('decline'),
          'review-timeout': held,
        };
        fs.mkdirSync(HISTORIES, { recursive: true });
        for (const [name, run] of Object.entries(scenarios)) {
          const handle = fast.client.workflow.getHandle(paymentWorkflowId(await run()));
          const state = await handle.result();
          expect(state.status).toBe(name === 'review-approved' ? 'succeeded' : 'failed');
          fs.writeFileSync(path.join(HISTORIES, `payment-${name}.json`), `${historyToJSON(await handle.fetchHistory())}\n`);
        }
      } finally {
        await fast.close();
      }
    },
    60_000,
  );

  it.skipIf(process.env.RECORD_STRIPE !== '1')(
    'when payments and a refund go through a Stripe account (3-D Secure, a lost answer), then their histories are saved',
    async () => {
      const stripe = await startStripeFake();
      const fast = await startTestStack({ env: { STRIPE_API_BASE: stripe.url } });
      try {
        const merchant = await fast.createMerchant('Replay recordings: Stripe');
        const secretKey = `sk_test_${randomBase62(24)}`;
        const webhookSecret = `whsec_${randomBase62(32)}`;
        stripe.addAccount({ secretKey, webhookSecret });
        const account = await fast.request('POST', '/v1/gateway_accounts', {
          apiKey: merchant.apiKey,
          body: { gateway: 'stripe', credentials: { secret_key: secretKey, webhook_secret: webhookSecret } },
        });
        stripe.updateAccount(secretKey, { webhookUrl: `${fast.baseUrl}${account.body.webhook_url_path}` });
        const authenticated = async (succeed: boolean) => {
          const payment = await createPayment(fast, merchant, {
            amount: 30,
            source: 'pm_card_authenticationRequired',
            capture: false,
            return_url: 'https://shop.example/return',
            expectStatus: 'requires_action',
          });
          stripe.completeAction(payment.gateway_reference as string, { succeed });
          return payment.id;
        };
        const scenarios: Record<string, () => Promise<string>> = {
          'payment-stripe-manual-capture': async () => {
            const payment = await createPayment(fast, merchant, { amount: 40, source: 'pm_card_visa', capture: false });
            await capturePayment(fast, merchant, payment.id, { amount: 30 });
            return paymentWorkflowId(payment.id);
          },
          'payment-stripe-authentication-completed': async () => {
            const id = await authenticated(true);
            const handle = fast.client.workflow.getHandle(paymentWorkflowId(id));
            for (;;) {
              const state = (await fast.request('GET', `/v1/payments/${id}`, { apiKey: merchant.apiKey })).body;
              if (state.status === 'requires_capture') break;
              await new Promise((resolve) => setTimeout(resolve, 100));
            }
            await capturePayment(fast, merchant, id);
            return handle.workflowId;
          },
          'payment-stripe-authentication-failed': async () => paymentWorkflowId(await authenticated(false)),
          'payment-stripe-answer-lost': async () => {
            stripe.injectFault({ operation: 'create_payment_intent', kind: 'lose_answer_after_commit', times: 2 });
            return paymentWorkflowId((await createPayment(fast, merchant, { amount: 35, source: 'pm_card_visa', raw: true })).body.id);
          },
          'payment-stripe-failover': async () => {
            const sandbox = await fast.request('POST', '/v1/gateway_accounts', {
              apiKey: merchant.apiKey,
              body: { gateway: 'sandbox', priority: 200 },
            });
            const token = await fast.request('POST', '/v1/tokens', {
              apiKey: merchant.apiKey,
              body: { card: { number: '4000000000000119', exp_month: 12, exp_year: 2034, cvc: '123' } },
            });
            const payment = await createPayment(fast, merchant, { amount: 15, source: token.body.id, expectStatus: 'succeeded' });
            await fast.request('DELETE', `/v1/gateway_accounts/${sandbox.body.id}`, { apiKey: merchant.apiKey });
            return paymentWorkflowId(payment.id);
          },
          'refund-stripe-pending': async () => {
            const payment = await createPayment(fast, merchant, { amount: 20, source: 'pm_card_pendingRefund', expectStatus: 'succeeded' });
            return `refund-${(await createRefund(fast, merchant, payment.id, { amount: 5 })).id}`;
          },
          'refund-stripe': async () => {
            const payment = await createPayment(fast, merchant, { amount: 20, source: 'pm_card_visa', expectStatus: 'succeeded' });
            return `refund-${(await createRefund(fast, merchant, payment.id, { amount: 5 })).id}`;
          },
        };
        await saveHistories(fast, scenarios);
      } finally {
        await fast.close();
        await stripe.stop();
      }
    },
    120_000,
  );

  it.skipIf(process.env.RECORD_ADYEN !== '1')(
    'when payments and a refund go through an Adyen account (confirmations by notification, a technical cancel), then their histories are saved',
    async () => {
      const adyen = await startAdyenFake();
      const fast = await startTestStack({
        env: { ADYEN_API_BASE: adyen.url, PAYMENT_CONFIRMATION_TIMEOUT: '1s', PAYMENT_TECHNICAL_CANCEL_AFTER: '2s' },
      });
      try {
        const merchant = await fast.createMerchant('Replay recordings: Adyen');
        const apiKey = `AQE_${randomBase62(30)}`;
        const merchantAccount = 'ReplayRecordingsECOM';
        const hmacKey = '44782DEF547AAA06C910C43932B1EB0C71FC68D9D0C057550C48EC2ACF6BA056';
        adyen.addAccount({ apiKey, merchantAccount, hmacKey });
        const account = await fast.request('POST', '/v1/gateway_accounts', {
          apiKey: merchant.apiKey,
          body: { gateway: 'adyen', credentials: { api_key: apiKey, merchant_account: merchantAccount, hmac_key: hmacKey } },
        });
        adyen.setNotificationUrl(merchantAccount, `${fast.baseUrl}${account.body.webhook_url_path}`);
        const card = async () =>
          (
            await fast.request('POST', '/v1/tokens', {
              apiKey: merchant.apiKey,
              body: { card: { number: ADYEN_TEST_CARDS.visa, exp_month: 12, exp_year: 2034, cvc: '123' } },
            })
          ).body.id as string;
        const authorized = async () =>
          createPayment(fast, merchant, {
            amount: 30,
            currency: 'EUR',
            source: await card(),
            capture: false,
            expectStatus: 'requires_capture',
          });
        const scenarios: Record<string, () => Promise<string>> = {
          'payment-adyen-capture-confirmed-late': async () => {
            const payment = await authorized();
            adyen.notificationRule({ kind: 'hold', eventCode: 'CAPTURE' });
            await capturePayment(fast, merchant, payment.id, { amount: 20 });
            await new Promise((resolve) => setTimeout(resolve, 2_000));
            await adyen.releaseHeld();
            return paymentWorkflowId(payment.id);
          },
          'payment-adyen-cancel-confirmed': async () => {
            const payment = await authorized();
            await cancelPayment(fast, merchant, payment.id, { cancellation_reason: 'requested_by_customer' });
            return paymentWorkflowId(payment.id);
          },
          'payment-adyen-technical-cancel': async () => {
            adyen.injectFault({ operation: 'payments', kind: 'lose_answer_after_commit', times: 3 });
            adyen.notificationRule({ kind: 'drop', eventCode: 'AUTHORISATION' });
            // An authorization, not a sale: the fake may have captured a sale before the technical cancel arrives, and
            // with AUTHORISATION dropped such a payment would wait for it forever.
            const created = await createPayment(fast, merchant, {
              amount: 13,
              currency: 'EUR',
              source: await card(),
              capture: false,
              raw: true,
            });
            return paymentWorkflowId(created.body.id);
          },
          'refund-adyen': async () => {
            adyen.clearNotificationRules();
            const payment = await createPayment(fast, merchant, {
              amount: 20,
              currency: 'EUR',
              source: await card(),
              expectStatus: 'succeeded',
            });
            return `refund-${(await createRefund(fast, merchant, payment.id, { amount: 5 })).id}`;
          },
        };
        await saveHistories(fast, scenarios);
      } finally {
        await fast.close();
        await adyen.stop();
      }
    },
    120_000,
  );

  it.skipIf(process.env.RECORD_SANDBOX_3DS !== '1')(
    "when a sandbox payment's 3-D Secure challenge is completed or abandoned, then its histories are saved",
    async () => {
      const fast = await startTestStack({ env: { PAYMENT_ACTION_TIMEOUT: '2s' } });
      try {
        const merchant = await fast.createMerchant('Replay recordings: sandbox 3-D Secure');
        const challenged = async () => {
          const payment = await createPayment(fast, merchant, {
            amount: 30,
            source: 'tok_threeDSecure2Required',
            capture: false,
            return_url: 'https://shop.example/return',
            expectStatus: 'requires_action',
          });
          return { id: payment.id, page: payment.next_action?.redirect_to_url?.url as string };
        };
        const scenarios: Record<string, () => Promise<string>> = {
          'payment-sandbox-3ds': async () => {
            const { id, page } = await challenged();
            const csrf = /name="csrf_token" value="([^"]+)"/.exec(await (await fetch(page)).text())?.[1] ?? '';
            const answered = await fetch(page, {
              method: 'POST',
              redirect: 'manual',
              headers: { 'content-type': 'application/x-www-form-urlencoded' },
              body: new URLSearchParams({ csrf_token: csrf, result: 'complete' }).toString(),
            });
            expect(answered.status).toBe(303);
            for (;;) {
              const state = (await fast.request('GET', `/v1/payments/${id}`, { apiKey: merchant.apiKey })).body;
              if (state.status === 'requires_capture') break;
              await new Promise((resolve) => setTimeout(resolve, 100));
            }
            await capturePayment(fast, merchant, id);
            return paymentWorkflowId(id);
          },
          'payment-sandbox-3ds-abandoned': async () => paymentWorkflowId((await challenged()).id),
        };
        await saveHistories(fast, scenarios);
      } finally {
        await fast.close();
      }
    },
    60_000,
  );

  it.skipIf(process.env.RECORD_PAYMENTS !== '1')('when every payment path runs, then its history is saved', async () => {
    const merchant = await stack.createMerchant('Replay recordings');
    const scenarios: Record<string, () => Promise<string>> = {
      'automatic-capture': async () => (await createPayment(stack, merchant, { amount: 25, source: 'tok_visa' })).id,
      'card-declined': async () => (await createPayment(stack, merchant, { amount: 25, source: 'tok_chargeDeclined' })).id,
      'fraud-blocked': async () => (await createPayment(stack, merchant, { amount: 25, source: 'tok_risk_highest' })).id,
      'gateway-timeout-retried': async () => (await createPayment(stack, merchant, { amount: 25, source: 'tok_gateway_timeout' })).id,
      'manual-partial-capture': async () => {
        const payment = await createPayment(stack, merchant, { amount: 25, source: 'tok_mastercard', capture: false });
        await capturePayment(stack, merchant, payment.id, { amount: 10 });
        return payment.id;
      },
      'manual-cancel': async () => {
        const payment = await createPayment(stack, merchant, { amount: 25, source: 'tok_amex', capture: false });
        await cancelPayment(stack, merchant, payment.id);
        return payment.id;
      },
    };
    fs.mkdirSync(HISTORIES, { recursive: true });
    for (const [name, run] of Object.entries(scenarios)) {
      const handle = stack.client.workflow.getHandle(paymentWorkflowId(await run()));
      await handle.result();
      fs.writeFileSync(path.join(HISTORIES, `payment-${name}.json`), `${historyToJSON(await handle.fetchHistory())}\n`);
    }
    expect(fs.readdirSync(HISTORIES).filter((file) => file.endsWith('.json')).length).toBeGreaterThanOrEqual(Object.keys(scenarios).length);
  });
});
