import type Stripe from 'stripe';
import { VAULT_TOKEN_ID } from '../../vault/card-token-record';
import { CredentialsRejectedError, type CredentialProblem, type GatewayConnector, type ParsedCredentials } from '../gateway-connector';
import type { StripeApiBase } from './stripe-api-base';
import type { StripeGatewayOptions } from './stripe-gateway';
import { recognizesStripeSource } from './stripe-sources';
import { scrubSecrets } from './stripe-mapping';

export interface StripeConnectorOptions {
  apiBase?: StripeApiBase;
  openCard?: StripeGatewayOptions['openCard'];
  isVaultToken?: StripeGatewayOptions['isVaultToken'];
  /** Per request, for verification and the adapters (default: the adapter's). */
  timeoutMs?: number;
}

const KNOWN_KEYS = ['secret_key', 'webhook_secret'] as const;
const REQUIRED_KEYS = ['secret_key'] as const;
const SECRET_KEY = /^(sk|rk)_(test|live)_[A-Za-z0-9]+$/;
const WEBHOOK_SECRET = /^whsec_[A-Za-z0-9+/=_-]+$/;

/** Stripe: accounts hold a secret (or restricted) key of the merchant's Stripe account and, for inbound events, its endpoint's signing secret. */
export function createStripeConnector(options: StripeConnectorOptions = {}): GatewayConnector {
  const isVaultToken = options.isVaultToken ?? ((source: string) => VAULT_TOKEN_ID.test(source));
  return {
    name: 'stripe',
    recognizesSource: (source) => recognizesStripeSource(source, isVaultToken, options.openCard !== undefined),
    parseCredentials: (raw, livemode) => parseStripeCredentials(raw, livemode),
    verifyCredentials: (credentials) => verifyStripeCredentials(credentials, options),
    // The SDK loads with the first Stripe account used, not with every process that could use one.
    async adapterFor(account) {
      const secretKey = account.credentials.secret_key;
      if (!secretKey) throw new Error(`Gateway account ${account.id} has no Stripe secret_key`);
      const { StripeGateway } = await import('./stripe-gateway');
      return new StripeGateway({
        secretKey,
        livemode: account.livemode,
        apiBase: options.apiBase,
        timeoutMs: options.timeoutMs,
        openCard: options.openCard,
        isVaultToken,
      });
    },
    async payoutNetworkFor(account) {
      const secretKey = account.credentials.secret_key;
      if (!secretKey) throw new Error(`Gateway account ${account.id} has no Stripe secret_key`);
      const { StripePayoutNetwork } = await import('./stripe-payouts');
      return new StripePayoutNetwork({ secretKey, apiBase: options.apiBase, timeoutMs: options.timeoutMs });
    },
  };
}

/** Shape and mode of Stripe credentials; values are never repeated back, only which key is wrong and why. */
export function parseStripeCredentials(raw: Record<string, unknown>, livemode: boolean): ParsedCredentials {
  const missing: string[] = [];
  const problems: CredentialProblem[] = [];
  const problem = (key: string, message: string) => problems.push({ param: `credentials.${key}`, message });

  for (const key of Object.keys(raw)) {
    if (!(KNOWN_KEYS as readonly string[]).includes(key))
      problem(key, `is not a Stripe credential; Stripe accounts take ${KNOWN_KEYS.join(' and ')}`);
  }
  for (const key of REQUIRED_KEYS) {
    if (raw[key] === undefined || raw[key] === null || raw[key] === '') missing.push(key);
  }

  const mode = livemode ? 'live' : 'test';
  const secretKey = raw.secret_key;
  if (secretKey !== undefined && secretKey !== null && secretKey !== '') {
    if (typeof secretKey !== 'string') problem('secret_key', 'must be a string');
    else if (/^pk_/.test(secretKey))
      problem('secret_key', `is a publishable key; use the secret key (sk_${mode}_…) or a restricted key (rk_${mode}_…)`);
    else if (!SECRET_KEY.test(secretKey))
      problem('secret_key', `must be a Stripe secret key (sk_${mode}_…) or restricted key (rk_${mode}_…)`);
    else if (!secretKey.includes(`_${mode}_`))
      problem(
        'secret_key',
        `is a ${mode === 'live' ? 'test' : 'live'}-mode key; a ${mode}-mode merchant needs sk_${mode}_… or rk_${mode}_…`,
      );
  }
  const webhookSecret = raw.webhook_secret;
  if (webhookSecret !== undefined && webhookSecret !== null) {
    if (typeof webhookSecret !== 'string') problem('webhook_secret', 'must be a string');
    else if (!WEBHOOK_SECRET.test(webhookSecret)) problem('webhook_secret', "must be the endpoint's signing secret (whsec_…)");
  }

  if (missing.length > 0 || problems.length > 0) return { ok: false, missing, problems };
  const key = secretKey as string;
  const credentials: Record<string, string> = { secret_key: key };
  if (typeof webhookSecret === 'string') credentials.webhook_secret = webhookSecret;
  return { ok: true, credentials, last4: key.slice(-4) };
}

/**
 * One harmless read (the balance) that only a working key can make. Stripe's refusal becomes
 * CredentialsRejectedError with its own words (the key masked); no answer at all is a plain Error,
 * since nothing is known about the key then.
 */
export async function verifyStripeCredentials(
  credentials: Record<string, string>,
  options: Pick<StripeConnectorOptions, 'apiBase' | 'timeoutMs'> = {},
): Promise<void> {
  const secretKey = credentials.secret_key;
  if (!secretKey) throw new CredentialsRejectedError('No Stripe secret key was given.');
  const { default: StripeSdk } = await import('stripe');
  const stripe = new StripeSdk(secretKey, {
    maxNetworkRetries: 0,
    timeout: options.timeoutMs ?? 10_000,
    telemetry: false,
    appInfo: { name: 'Ledgerflow' },
    ...(options.apiBase ?? {}),
  });
  let balance: Stripe.Balance;
  try {
    balance = await stripe.balance.retrieve();
  } catch (error) {
    const { type, message } = (error ?? {}) as { type?: string; message?: string };
    const reason = scrubSecrets(message ?? 'no reason given');
    if (type === 'StripeAuthenticationError' || type === 'StripePermissionError' || type === 'StripeInvalidRequestError')
      throw new CredentialsRejectedError(reason);
    throw new Error(`Stripe could not be reached to verify the credentials: ${reason}`);
  }
  const keyIsLive = /^(sk|rk)_live_/.test(secretKey);
  if (balance.livemode !== keyIsLive)
    throw new CredentialsRejectedError(`Stripe reports this key's account as ${balance.livemode ? 'live' : 'test'} mode, unlike the key.`);
}
