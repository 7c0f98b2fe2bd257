import { VAULT_TOKEN_ID } from '../../vault/card-token-record';
import { CredentialsRejectedError, type CredentialProblem, type GatewayConnector, type ParsedCredentials } from '../gateway-connector';
import type { AdyenApiBase } from './adyen-api-base';
import type { AdyenGatewayOptions } from './adyen-gateway';
import { recognizesAdyenSource } from './adyen-sources';
import { classifyAdyenError, type AdyenErrorLike } from './adyen-mapping';
import type { AdyenNotificationRepository } from './adyen-notification-repository';

/** One account's view of the stored notifications, as the adapter asks for them. */
function notificationReaders(
  notifications: () => AdyenNotificationRepository,
  accountId: string,
): Pick<AdyenGatewayOptions, 'notifiedAuthorization' | 'notifiedModification' | 'notifiedRefund'> {
  return {
    notifiedAuthorization: (lookup) => notifications().authorizationOf(accountId, lookup),
    notifiedModification: (pspReference) => notifications().modificationOf(accountId, pspReference),
    notifiedRefund: (pspReference) => notifications().refundOf(accountId, pspReference),
  };
}

export interface AdyenConnectorOptions {
  apiBase?: AdyenApiBase;
  openCard?: AdyenGatewayOptions['openCard'];
  isVaultToken?: AdyenGatewayOptions['isVaultToken'];
  /** The notifications our receiver kept (a repository per call): Checkout cannot be asked about a payment, so status sync reads them. */
  notifications?: () => AdyenNotificationRepository;
  /** Per request, for verification and the adapters (default: the adapter's). */
  timeoutMs?: number;
}

const KNOWN_KEYS = ['api_key', 'merchant_account', 'hmac_key', 'live_url_prefix'] as const;
const REQUIRED_KEYS = ['api_key', 'merchant_account', 'hmac_key'] as const;
// Sent as the X-API-Key header: printable ASCII only (anything else cannot be a header value, and is no key of Adyen's).
const API_KEY = /^[\x21-\x7e]{8,1000}$/;
const MERCHANT_ACCOUNT = /^[A-Za-z0-9_.-]{1,255}$/;
// Adyen's webhook HMAC keys are hex (32 bytes: 64 characters); any even-length hex of 16 bytes or more is taken.
const HMAC_KEY = /^(?:[0-9A-Fa-f]{2}){16,}$/;
const LIVE_URL_PREFIX = /^[A-Za-z0-9]+(?:-[A-Za-z0-9]+)*$/;

/** Adyen: accounts hold a Checkout API key, the merchant account it acts for, the webhook HMAC key and, in live mode, the live URL prefix. */
export function createAdyenConnector(options: AdyenConnectorOptions = {}): GatewayConnector {
  const isVaultToken = options.isVaultToken ?? ((source: string) => VAULT_TOKEN_ID.test(source));
  return {
    name: 'adyen',
    recognizesSource: (source) => recognizesAdyenSource(source, isVaultToken, options.openCard !== undefined),
    parseCredentials: (raw, livemode) => parseAdyenCredentials(raw, livemode),
    verifyCredentials: (credentials) => verifyAdyenCredentials(credentials, options),
    // The library loads with the first Adyen account used, not with every process that could use one.
    async adapterFor(account) {
      const { api_key: apiKey, merchant_account: merchantAccount, live_url_prefix: liveUrlPrefix } = account.credentials;
      if (!apiKey || !merchantAccount) throw new Error(`Gateway account ${account.id} has no Adyen api_key or merchant_account`);
      const { AdyenGateway } = await import('./adyen-gateway');
      return new AdyenGateway({
        apiKey,
        merchantAccount,
        livemode: account.livemode,
        liveUrlPrefix,
        apiBase: options.apiBase,
        timeoutMs: options.timeoutMs,
        openCard: options.openCard,
        isVaultToken,
        ...(options.notifications ? notificationReaders(options.notifications, account.id) : {}),
      });
    },
  };
}

/** Shape and mode of Adyen credentials; values are never repeated back, only which key is wrong and why. */
export function parseAdyenCredentials(raw: Record<string, unknown>, livemode: boolean): ParsedCredentials {
  const missing: string[] = [];
  const problems: CredentialProblem[] = [];
  const problem = (key: string, message: string) => problems.push({ param: `credentials.${key}`, message });
  const present = (key: string) => raw[key] !== undefined && raw[key] !== null && raw[key] !== '';

  for (const key of Object.keys(raw)) {
    if (!(KNOWN_KEYS as readonly string[]).includes(key))
      problem(key, `is not an Adyen credential; Adyen accounts take ${KNOWN_KEYS.join(', ')}`);
  }
  for (const key of REQUIRED_KEYS) if (!present(key)) missing.push(key);
  // Live Checkout endpoints are per company: without the prefix no live request has anywhere to go.
  if (livemode && !present('live_url_prefix')) missing.push('live_url_prefix');

  const check = (key: string, pattern: RegExp, message: string) => {
    if (!present(key)) return;
    if (typeof raw[key] !== 'string') problem(key, 'must be a string');
    else if (!pattern.test(raw[key])) problem(key, message);
  };
  check('api_key', API_KEY, 'must be an Adyen API key (the X-API-Key of a web service user)');
  check('merchant_account', MERCHANT_ACCOUNT, 'must be the merchant account name as Adyen shows it (letters, digits, _ . -)');
  check('hmac_key', HMAC_KEY, 'must be the HMAC key of the webhook, in hex as Adyen shows it (64 hex characters)');
  check('live_url_prefix', LIVE_URL_PREFIX, 'must be the live URL prefix as Adyen shows it ([random]-[company name])');

  if (missing.length > 0 || problems.length > 0) return { ok: false, missing, problems };
  const credentials: Record<string, string> = {
    api_key: raw.api_key as string,
    merchant_account: raw.merchant_account as string,
    hmac_key: (raw.hmac_key as string).toUpperCase(),
  };
  // Kept for live-mode accounts only: its presence is what sends verification to the live endpoint.
  if (livemode) credentials.live_url_prefix = raw.live_url_prefix as string;
  return { ok: true, credentials, last4: credentials.api_key.slice(-4) };
}

/**
 * One harmless call only working credentials can make: the payment methods of the merchant account
 * (Checkout `POST /paymentMethods`). A 401/403 (bad key, or a key not allowed for the account) and
 * an unknown merchant account become CredentialsRejectedError with Adyen's words; no answer at all
 * is a plain Error, since nothing is known about the key then.
 */
export async function verifyAdyenCredentials(
  credentials: Record<string, string>,
  options: Pick<AdyenConnectorOptions, 'apiBase' | 'timeoutMs'> = {},
): Promise<void> {
  const { api_key: apiKey, merchant_account: merchantAccount, live_url_prefix: liveUrlPrefix } = credentials;
  if (!apiKey) throw new CredentialsRejectedError('No Adyen API key was given.');
  if (!merchantAccount) throw new CredentialsRejectedError('No Adyen merchant account was given.');
  const live = Boolean(liveUrlPrefix) && !options.apiBase;
  const { CheckoutAPI, Client, EnvironmentEnum } = await import('./adyen-library');
  const { AdyenApiBaseClient } = await import('./adyen-http-client');
  const client = new Client(
    {
      apiKey,
      environment: live ? EnvironmentEnum.LIVE : EnvironmentEnum.TEST,
      ...(live ? { liveEndpointUrlPrefix: liveUrlPrefix } : {}),
      connectionTimeoutMillis: options.timeoutMs ?? 10_000,
      applicationName: 'Ledgerflow',
    },
    options.apiBase ? new AdyenApiBaseClient(options.apiBase) : undefined,
  );
  try {
    await new CheckoutAPI(client).PaymentsApi.paymentMethods({ merchantAccount });
  } catch (error) {
    const adyenError = (error ?? {}) as AdyenErrorLike;
    const outcome = classifyAdyenError(adyenError, 'verify', [apiKey]);
    const status = adyenError.apiError?.status ?? adyenError.statusCode;
    const reason = (adyenError.apiError?.message ?? outcome.message).split(apiKey).join('[key removed]');
    if (outcome.kind === 'failed' && outcome.failureType === 'GatewayMisconfigured' && status !== undefined && status < 500)
      throw new CredentialsRejectedError(`Adyen refused the credentials (HTTP ${status}): ${reason}`);
    throw new Error(`Adyen could not be reached to verify the credentials: ${outcome.message}`);
  }
}
