import { expect } from 'vitest';
import type { StripeFake } from '../../src/gateways/stripe/stripe-fake';
import { randomBase62 } from '../../src/shared/ids';
import { makeAvailable } from './ledger';
import type { TestStack } from './test-stack';

/** A merchant paying out through its own Stripe account on the fake. */
export interface StripePayoutMerchant {
  id: string;
  apiKey: string;
  /** Our gateway account (`gwa_...`). */
  account: string;
  secretKey: string;
  /** The fake's account id (`acct_...`). */
  stripeAccount: string;
  /** Set when the account's events are sent to our endpoint. */
  webhookSecret: string | null;
}

export interface StripePayoutMerchantOptions {
  name?: string;
  /** Available in our ledger, USD minor units (default 100,000). */
  availableMinor?: number;
  /** Available in the Stripe account's balance, USD minor units (default 100,000). */
  stripeMinor?: number;
  /** Stripe's test bank account number deciding the payouts' outcome (default: paid). */
  payoutAccountNumber?: string;
  payoutFeeMinor?: number;
  /** Have the fake send the account's events to our endpoint for it, signed with a webhook secret. */
  events?: boolean;
}

/** A merchant with USD available in our ledger and a verified Stripe account on the fake, as the payout tests need one. */
export async function stripePayoutMerchant(
  stack: TestStack,
  fake: StripeFake,
  options: StripePayoutMerchantOptions = {},
): Promise<StripePayoutMerchant> {
  const merchant = await stack.createMerchant(options.name ?? 'Stripe payouts', { payout_fee_minor: options.payoutFeeMinor ?? 0 });
  const secretKey = `sk_test_${randomBase62(24)}`;
  const webhookSecret = options.events ? `whsec_${randomBase62(32)}` : null;
  const stripeAccount = fake.addAccount({
    secretKey,
    ...(webhookSecret ? { webhookSecret } : {}),
    balance: { usd: options.stripeMinor ?? 100_000 },
    payoutAccountNumber: options.payoutAccountNumber,
  }).id;
  const created = await stack.request('POST', '/v1/gateway_accounts', {
    apiKey: merchant.apiKey,
    body: { gateway: 'stripe', credentials: { secret_key: secretKey, ...(webhookSecret ? { webhook_secret: webhookSecret } : {}) } },
  });
  expect(created.status, JSON.stringify(created.body)).toBe(201);
  if (webhookSecret) fake.updateAccount(secretKey, { webhookUrl: `${stack.baseUrl}${created.body.webhook_url_path}` });
  await makeAvailable(stack.orm, merchant.id, 'USD', options.availableMinor ?? 100_000);
  return { ...merchant, account: created.body.id, secretKey, stripeAccount, webhookSecret };
}

/** Stripe's payout timings in seconds instead of days, so a whole lifecycle runs on the dev server. */
export const SECONDS_STRIPE_PAYOUTS = { payoutInTransitAfterMs: 0, payoutTransitMs: 1500, payoutReturnAfterMs: 1500 } as const;

/** Our side to match SECONDS_STRIPE_PAYOUTS: a worker sending payouts through the fake and watching a paid one for 6 s. */
export function secondsStripePayoutEnv(fakeUrl: string): Record<string, string> {
  return {
    STRIPE_API_BASE: fakeUrl,
    PAYOUT_SUBMIT_DELAY_MS: '200ms',
    PAYOUT_RETURN_CHECK_EVERY_MS: '1s',
    PAYOUT_RETURN_WATCH_MS: '6s',
  };
}
