import path from 'node:path';
import { sandboxFaultSettings, type SandboxFaultSettings } from './gateways/sandbox/sandbox-faults';
import { parsePayloadKeys, type PayloadKey } from './temporal/payload-keys';
import { cardVaultSettings } from './vault/vault-config';
import { stripeApiBaseFromEnv, type StripeApiBase } from './gateways/stripe/stripe-api-base';
import { adyenApiBaseFromEnv, type AdyenApiBase } from './gateways/adyen/adyen-api-base';
import type { VaultKeyRing } from './vault/vault-keys';

/** Everything the processes read from the environment, parsed once. docker-compose.yml sets the same names. */
export interface AppConfig {
  env: 'development' | 'test' | 'production';
  /**
   * The HTTP API; `rateLimit` is per API key and per API process (perSecond 0: off); `dependencyRetryMs`
   * is how long a request safe to repeat is re-run while PostgreSQL or Temporal is away.
   */
  api: { host: string; port: number; bodyLimit: string; rateLimit: { perSecond: number; burst: number }; dependencyRetryMs: number };
  dataDir: string;
  /** connectTimeoutMs: how long a starting API or worker waits for PostgreSQL to accept connections. */
  database: { url?: string; embeddedPort: number; poolMax: number; connectTimeoutMs: number };
  temporal: {
    /** External cluster; when unset `npm start` runs the embedded dev server. */
    address?: string;
    /** How long a starting API or worker keeps trying to reach Temporal (a server restarting) before it gives up. */
    connectTimeoutMs: number;
    namespace: string;
    taskQueue: string;
    apiKey?: string;
    tls?: { certPath?: string; keyPath?: string; caPath?: string; serverName?: string };
    cliPath?: string;
    /** A workflow bundle built ahead (npm run build:workflows): the worker then skips bundling at start, which is most of its peak memory. */
    workflowBundlePath?: string;
    maxCachedWorkflows: number;
    maxConcurrentActivities: number;
    devServerPort: number;
    devServerUiPort: number;
    /**
     * AES-256-GCM keys for payloads and failure messages (TEMPORAL_PAYLOAD_KEYS): the first
     * encrypts, all decrypt. Empty outside production when unset: `npm start` keeps one in DATA_DIR.
     */
    payloadKeys: PayloadKey[];
    /** Origins of the Temporal UIs allowed to call the codec endpoint (CORS). */
    uiOrigins: string[];
  };
  adminApiKey?: string;
  payments: {
    /** How long POST /v1/payments waits for the workflow's decision before answering 202. */
    syncWaitMs: number;
    /** How long an uncaptured authorization lives before it is voided. */
    authorizationTtlMs: number;
    /** How long a payment held for manual review waits for a decision before it is declined; fixed per payment at creation. */
    reviewTimeoutMs: number;
    /** How long a customer has to authenticate (3-D Secure) before the payment is canceled at the gateway; fixed per payment. */
    actionTimeoutMs: number;
    /** Adyen: how long a received capture or cancel waits for its notification before the payment is held for ops. */
    confirmationTimeoutMs: number;
    /** Adyen: how long a lost authorization answer is looked up before a technical cancel cleans it up. */
    technicalCancelAfterMs: number;
  };
  fees: { percentBps: number; fixedMinor: number };
  /**
   * Money movement: how many days a capture stays pending before it becomes available (merchants
   * may have their own), how often settlement runs, and whether this worker keeps the finance
   * Temporal Schedules (settlement, fee invoices, daily checks) in place.
   */
  ledger: { settlementDelayDays: number; settlementIntervalMs: number; schedules: boolean };
  /**
   * How long what is kept only for a while stays: Idempotency-Keys (IDEMPOTENCY_KEY_RETENTION, 7 days) and
   * events with their webhook attempts (EVENT_RETENTION, 30 days).
   */
  retention: { idempotencyKeyMs: number; eventMs: number };
  /**
   * Subscriptions: dunning retries (days after a failed renewal) and what happens when they run
   * out; how many billing cycles a workflow run holds before continuing as new; and, outside
   * production only, how much faster subscription time runs than the clock (86400: a day a second).
   */
  subscriptions: { dunningRetryDays: number[]; whenDunningExhausted: 'canceled' | 'unpaid'; cyclesPerRun: number; timeScale: number };
  /** Fraud rule defaults; `reviewAmountMinor` (unset: off) holds larger payments for manual review. */
  fraud: { maxAmountMinor: number; velocityLimit: number; velocityWindowMs: number; reviewAmountMinor?: number };
  disputes: { feeMinor: number; evidenceWindowMs: number };
  /**
   * How long a merchant's webhook endpoint has to answer, and, outside production only, how much
   * shorter the waits between delivery attempts are (10: 5 s becomes 0.5 s).
   */
  webhooks: { timeoutMs: number; retryTimeScale: number };
  /**
   * The sandbox gateway: its delay between recording an operation and answering (reliability
   * tests widen the crash window with it), the secret it signs its network events with (random
   * per process when unset), how long after a tok_createDispute capture the network disputes it,
   * and, outside production only, the faults it injects on purpose (SANDBOX_FAULTS).
   */
  sandbox: { responseDelayMs: number; eventSecret?: string; disputeDelayMs: number; faults?: SandboxFaultSettings };
  /**
   * Real gateways: where the Stripe SDK and the Adyen library send their requests when not to the vendor
   * itself (STRIPE_API_BASE, ADYEN_API_BASE: for stripe-mock and the test fakes only; unset in production).
   */
  gateways: { stripeApiBase?: StripeApiBase; adyenApiBase?: AdyenApiBase };
  /**
   * Observability: the token that may scrape /metrics besides the admin key, the worker's own
   * metrics port, the Temporal Core runtime's Prometheus address (worker), and the OTLP endpoint
   * that turns tracing on.
   */
  observability: { metricsToken?: string; workerMetricsPort?: number; temporalMetricsAddress?: string; otlpEndpoint?: string };
  /** The card vault's AES-256-GCM keys (CARD_VAULT_KEYS: the first encrypts, all decrypt) and fingerprint key (CARD_FINGERPRINT_KEY); unset: no tokenizing. */
  cardVault?: VaultKeyRing;
  logLevel: string;
  /** The base of links given to customers (receipts, checkout pages): PUBLIC_URL, by default the API's own address. */
  publicUrl: string;
  /**
   * Receipt emails: SMTP_URL (smtp:// or smtps:// with credentials) sends them; unset, each message is
   * written as an .eml file under `dir` (MAIL_DIR, default DATA_DIR/mail). `from` is RECEIPT_FROM.
   */
  mail: { smtpUrl?: string; from: string; dir: string };
  /**
   * The hosted payment page: how long a customer has to complete 3-D Secure (CHECKOUT_ACTION_TIMEOUT), and how many
   * card submissions one address may make in an hour across all pages (CHECKOUT_ATTEMPTS_PER_IP_PER_HOUR), against card testing.
   */
  checkout: { actionTimeoutMs: number; attemptsPerIpPerHour: number };
  /**
   * Payouts: how long a new payout stays pending (and cancelable) before it is sent to the bank
   * (PAYOUT_SUBMIT_DELAY_MS), how often and how long a paid payout is watched for a return
   * (PAYOUT_RETURN_CHECK_EVERY_MS, PAYOUT_RETURN_WATCH_MS), and the sandbox bank's transfer and
   * return times (SANDBOX_BANK_TRANSIT_MS, SANDBOX_BANK_RETURN_AFTER_MS). All accept 5m, 1d, or plain milliseconds.
   */
  payouts: {
    submitDelayMs: number;
    returnWatch: { everyMs: number; forMs: number };
    sandboxBank: { transitMs: number; returnAfterMs: number };
  };
}

function subscriptionSettings(env: NodeJS.ProcessEnv, nodeEnv: string): AppConfig['subscriptions'] {
  const rawDays = env.SUBSCRIPTION_DUNNING_RETRY_DAYS || '3,5,7';
  const dunningRetryDays = rawDays.split(',').map((part) => Number(part.trim()));
  if (dunningRetryDays.some((days, index) => !(days > 0) || (index > 0 && days <= dunningRetryDays[index - 1]))) {
    throw new Error(`SUBSCRIPTION_DUNNING_RETRY_DAYS must be increasing positive days such as 3,5,7, got "${rawDays}"`);
  }
  const whenDunningExhausted = env.SUBSCRIPTION_DUNNING_EXHAUSTED || 'canceled';
  if (whenDunningExhausted !== 'canceled' && whenDunningExhausted !== 'unpaid')
    throw new Error(`SUBSCRIPTION_DUNNING_EXHAUSTED must be canceled or unpaid, got "${whenDunningExhausted}"`);
  const timeScale = Number(env.SUBSCRIPTION_TIME_SCALE || 1);
  if (!(timeScale >= 1)) throw new Error(`SUBSCRIPTION_TIME_SCALE must be a number of at least 1, got "${env.SUBSCRIPTION_TIME_SCALE}"`);
  if (timeScale !== 1 && nodeEnv === 'production')
    throw new Error('SUBSCRIPTION_TIME_SCALE is for tests and demos; it cannot be set in production');
  return { dunningRetryDays, whenDunningExhausted, cyclesPerRun: integer(env, 'SUBSCRIPTION_CYCLES_PER_RUN', 12) || 12, timeScale };
}

function webhookRetryTimeScale(env: NodeJS.ProcessEnv, nodeEnv: string): number {
  const scale = Number(env.WEBHOOK_RETRY_TIME_SCALE || 1);
  if (!(scale >= 1)) throw new Error(`WEBHOOK_RETRY_TIME_SCALE must be a number of at least 1, got "${env.WEBHOOK_RETRY_TIME_SCALE}"`);
  if (scale !== 1 && nodeEnv === 'production')
    throw new Error('WEBHOOK_RETRY_TIME_SCALE is for tests and demos; it cannot be set in production');
  return scale;
}

function integer(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 0) throw new Error(`${name} must be a non-negative integer, got "${raw}"`);
  return value;
}

const DURATION = /^(\d+)(ms|s|m|h|d)$/;
const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** Parses "7d", "90s", "250ms"; a bare number is milliseconds. */
export function parseDuration(raw: string, name: string): number {
  if (/^\d+$/.test(raw)) return Number(raw);
  const match = DURATION.exec(raw.trim());
  if (!match) throw new Error(`${name} must be a duration such as 7d, 12h, 30s or 500ms, got "${raw}"`);
  return Number(match[1]) * UNIT_MS[match[2]];
}

function duration(env: NodeJS.ProcessEnv, name: string, fallback: string): number {
  return parseDuration(env[name] || fallback, name);
}

/** EVENT_RETENTION: never shorter than the three days webhook deliveries and receipt emails keep retrying an event. */
function eventRetentionMs(env: NodeJS.ProcessEnv): number {
  const ms = duration(env, 'EVENT_RETENTION', '30d');
  if (ms < 4 * UNIT_MS.d)
    throw new Error(`EVENT_RETENTION must be at least 4d (webhook deliveries retry for about three days), got "${env.EVENT_RETENTION}"`);
  return ms;
}

function optional(env: NodeJS.ProcessEnv, name: string): string | undefined {
  const value = env[name];
  return value === undefined || value === '' ? undefined : value;
}

/** SMTP_URL, checked for its scheme only; never echoed, since it carries the password. */
function smtpUrl(env: NodeJS.ProcessEnv): string | undefined {
  const url = optional(env, 'SMTP_URL');
  if (url !== undefined && !/^smtps?:\/\/[^\s]+$/.test(url)) throw new Error('SMTP_URL must be an smtp:// or smtps:// URL');
  return url;
}

/** PUBLIC_URL without a trailing slash; by default the API's own address (0.0.0.0 is reached as 127.0.0.1). */
function publicUrl(env: NodeJS.ProcessEnv): string {
  const configured = optional(env, 'PUBLIC_URL');
  if (configured) {
    if (!/^https?:\/\/[^\s/?#]+(\/[^\s?#]*)?$/.test(configured)) throw new Error(`PUBLIC_URL must be an http(s) URL, got "${configured}"`);
    return configured.replace(/\/+$/, '');
  }
  const host = env.HOST || '127.0.0.1';
  return `http://${host === '0.0.0.0' ? '127.0.0.1' : host}:${integer(env, 'PORT', 3000)}`;
}

/** The suite's fixed key: tests read and write encrypted histories like production. */
export const TEST_PAYLOAD_KEYS = 'test-1:dGVzdC1vbmx5LXBheWxvYWQta2V5LTMyLWJ5dGVzISE=';

function payloadKeys(env: NodeJS.ProcessEnv, nodeEnv: string): PayloadKey[] {
  const raw = optional(env, 'TEMPORAL_PAYLOAD_KEYS') ?? (nodeEnv === 'test' ? TEST_PAYLOAD_KEYS : undefined);
  if (raw) return parsePayloadKeys(raw);
  if (nodeEnv === 'production')
    throw new Error(
      'TEMPORAL_PAYLOAD_KEYS is required in production: "kid:base64-32-bytes" (e.g. "k1:$(openssl rand -base64 32)"); workflow histories are encrypted with it',
    );
  return [];
}

/** Reads the configuration from `env` (process.env by default). */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): AppConfig {
  const nodeEnv = env.NODE_ENV === 'production' ? 'production' : env.NODE_ENV === 'test' ? 'test' : 'development';
  const tlsCert = optional(env, 'TEMPORAL_TLS_CERT');
  const tlsKey = optional(env, 'TEMPORAL_TLS_KEY');
  const tlsCa = optional(env, 'TEMPORAL_TLS_CA');
  const apiKey = optional(env, 'TEMPORAL_API_KEY');
  const tlsRequested = env.TEMPORAL_TLS === 'true' || Boolean(tlsCert || tlsKey || tlsCa || apiKey);
  return {
    env: nodeEnv,
    api: {
      host: env.HOST || '127.0.0.1',
      port: integer(env, 'PORT', 3000),
      bodyLimit: env.API_BODY_LIMIT || '64kb',
      rateLimit: { perSecond: integer(env, 'RATE_LIMIT_PER_SECOND', 100), burst: Math.max(1, integer(env, 'RATE_LIMIT_BURST', 200)) },
      dependencyRetryMs: duration(env, 'API_DEPENDENCY_RETRY_MS', '15000'),
    },
    dataDir: path.resolve(env.DATA_DIR || '.data'),
    database: {
      url: optional(env, 'DATABASE_URL'),
      embeddedPort: integer(env, 'EMBEDDED_POSTGRES_PORT', 54329),
      poolMax: integer(env, 'DATABASE_POOL_MAX', 8),
      connectTimeoutMs: duration(env, 'DATABASE_CONNECT_TIMEOUT', '60s'),
    },
    temporal: {
      address: optional(env, 'TEMPORAL_ADDRESS'),
      connectTimeoutMs: duration(env, 'TEMPORAL_CONNECT_TIMEOUT', '60s'),
      namespace: env.TEMPORAL_NAMESPACE || 'default',
      taskQueue: env.TEMPORAL_TASK_QUEUE || 'payments',
      apiKey,
      tls: tlsRequested
        ? { certPath: tlsCert, keyPath: tlsKey, caPath: tlsCa, serverName: optional(env, 'TEMPORAL_TLS_SERVER_NAME') }
        : undefined,
      cliPath: optional(env, 'TEMPORAL_CLI_PATH'),
      workflowBundlePath: optional(env, 'WORKFLOW_BUNDLE_PATH'),
      maxCachedWorkflows: integer(env, 'WORKER_MAX_CACHED_WORKFLOWS', 500),
      maxConcurrentActivities: integer(env, 'WORKER_MAX_CONCURRENT_ACTIVITIES', 100),
      devServerPort: integer(env, 'TEMPORAL_PORT', 7233),
      devServerUiPort: integer(env, 'TEMPORAL_UI_PORT', 8233),
      payloadKeys: payloadKeys(env, nodeEnv),
      uiOrigins: (
        optional(env, 'TEMPORAL_UI_ORIGIN') ??
        `http://127.0.0.1:${integer(env, 'TEMPORAL_UI_PORT', 8233)},http://localhost:${integer(env, 'TEMPORAL_UI_PORT', 8233)}`
      )
        .split(',')
        .map((origin) => origin.trim().replace(/\/$/, ''))
        .filter(Boolean),
    },
    adminApiKey: optional(env, 'ADMIN_API_KEY'),
    payments: {
      syncWaitMs: duration(env, 'PAYMENT_SYNC_WAIT', '5s'),
      authorizationTtlMs: duration(env, 'AUTHORIZATION_TTL', '7d'),
      reviewTimeoutMs: duration(env, 'PAYMENT_REVIEW_TIMEOUT', '24h'),
      actionTimeoutMs: duration(env, 'PAYMENT_ACTION_TIMEOUT', '1h'),
      confirmationTimeoutMs: duration(env, 'PAYMENT_CONFIRMATION_TIMEOUT', '1h'),
      technicalCancelAfterMs: duration(env, 'PAYMENT_TECHNICAL_CANCEL_AFTER', '2m'),
    },
    fees: { percentBps: integer(env, 'FEE_PERCENT_BPS', 290), fixedMinor: integer(env, 'FEE_FIXED_MINOR', 30) },
    ledger: {
      settlementDelayDays: integer(env, 'SETTLEMENT_DELAY_DAYS', 2),
      settlementIntervalMs: duration(env, 'SETTLEMENT_INTERVAL', '1h'),
      schedules: (env.FINANCE_SCHEDULES ?? (nodeEnv === 'test' ? 'off' : 'on')) !== 'off',
    },
    retention: { idempotencyKeyMs: duration(env, 'IDEMPOTENCY_KEY_RETENTION', '7d'), eventMs: eventRetentionMs(env) },
    subscriptions: subscriptionSettings(env, nodeEnv),
    fraud: {
      maxAmountMinor: integer(env, 'FRAUD_MAX_AMOUNT_MINOR', 1_000_000_00),
      velocityLimit: integer(env, 'FRAUD_VELOCITY_LIMIT', 1000),
      velocityWindowMs: duration(env, 'FRAUD_VELOCITY_WINDOW', '1h'),
      reviewAmountMinor:
        optional(env, 'FRAUD_REVIEW_AMOUNT_MINOR') === undefined ? undefined : integer(env, 'FRAUD_REVIEW_AMOUNT_MINOR', 0),
    },
    webhooks: { timeoutMs: duration(env, 'WEBHOOK_TIMEOUT', '12s'), retryTimeScale: webhookRetryTimeScale(env, nodeEnv) },
    disputes: { feeMinor: integer(env, 'DISPUTE_FEE_MINOR', 1500), evidenceWindowMs: duration(env, 'DISPUTE_EVIDENCE_WINDOW', '7d') },
    sandbox: {
      responseDelayMs: duration(env, 'SANDBOX_RESPONSE_DELAY', '0ms'),
      eventSecret: optional(env, 'SANDBOX_EVENT_SECRET'),
      disputeDelayMs: duration(env, 'SANDBOX_DISPUTE_DELAY', '2s'),
      faults: sandboxFaultSettings(env, nodeEnv),
    },
    gateways: { stripeApiBase: stripeApiBaseFromEnv(env), adyenApiBase: adyenApiBaseFromEnv(env) },
    observability: {
      metricsToken: optional(env, 'METRICS_TOKEN'),
      workerMetricsPort: optional(env, 'WORKER_METRICS_PORT') === undefined ? undefined : integer(env, 'WORKER_METRICS_PORT', 0),
      temporalMetricsAddress: optional(env, 'TEMPORAL_METRICS_ADDRESS'),
      otlpEndpoint: optional(env, 'OTEL_EXPORTER_OTLP_ENDPOINT'),
    },
    cardVault: cardVaultSettings(env, nodeEnv),
    logLevel: env.LOG_LEVEL || (nodeEnv === 'test' ? 'silent' : 'info'),
    publicUrl: publicUrl(env),
    checkout: {
      actionTimeoutMs: duration(env, 'CHECKOUT_ACTION_TIMEOUT', '15m'),
      attemptsPerIpPerHour: Math.max(1, integer(env, 'CHECKOUT_ATTEMPTS_PER_IP_PER_HOUR', 30)),
    },
    payouts: {
      submitDelayMs: duration(env, 'PAYOUT_SUBMIT_DELAY_MS', '5m'),
      returnWatch: { everyMs: duration(env, 'PAYOUT_RETURN_CHECK_EVERY_MS', '1d'), forMs: duration(env, 'PAYOUT_RETURN_WATCH_MS', '7d') },
      sandboxBank: {
        transitMs: duration(env, 'SANDBOX_BANK_TRANSIT_MS', '1d'),
        returnAfterMs: duration(env, 'SANDBOX_BANK_RETURN_AFTER_MS', '2d'),
      },
    },
    mail: {
      smtpUrl: smtpUrl(env),
      from: env.RECEIPT_FROM || 'receipts@ledgerflow.local',
      dir: path.resolve(env.MAIL_DIR || path.join(env.DATA_DIR || '.data', 'mail')),
    },
  };
}
