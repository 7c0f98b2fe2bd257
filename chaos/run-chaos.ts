import fs from 'node:fs';
import path from 'node:path';
import { Client as PgClient } from 'pg';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { withPatience } from '../src/shared/patience';
import { ChaosClient, type ClientStats } from './chaos-client';
import { FaultInjector } from './chaos-faults';
import type { ChaosProfile } from './chaos-profiles';
import { ChaosAdyen } from './chaos-adyen';
import { adyenBooksMatch, adyenNotificationsDelivered } from './chaos-adyen-invariants';
import { AdyenLoad } from './chaos-adyen-load';
import { adyenReport, type AdyenReport } from './chaos-adyen-report';
import { gatewayBooksMatch, ledgerConsistent, nothingStuck, webhooksDelivered, type InvariantResult } from './chaos-invariants';
import { ChaosLoad } from './chaos-load';
import { payoutInvariants, type PayoutFigures } from './chaos-payout-invariants';
import { PayoutLoad } from './chaos-payout-load';
import { createMerchants } from './chaos-merchants';
import { ChaosStripe, type StripeReport } from './chaos-stripe';
import { stripeBooksMatch, stripeEventsDelivered } from './chaos-stripe-invariants';
import { waitUntilHealed } from './chaos-heal';
import { StripeLoad } from './chaos-stripe-load';
import { StripePayoutLoad } from './chaos-stripe-payout-load';
import { stripePayoutsReconcile } from './chaos-stripe-payout-reconciliation';
import { replayAllHistories, type ReplayOutcome } from './chaos-replay';
import { ChaosStack } from './chaos-stack';
import { ChaosWebhookReceiver } from './chaos-webhooks';
import { formatReport } from './chaos-report';
import { startupFailureText } from '../src/infra/dependency-start-error';

const ROOT = path.resolve(__dirname, '..');

import { PROFILES } from './chaos-profiles';

export { PROFILES, type ChaosProfile } from './chaos-profiles';

export interface ChaosReport {
  profile: string;
  seed: number;
  startedAt: string;
  loadSeconds: number;
  healSeconds: number;
  totalSeconds: number;
  scenarios: Record<string, number>;
  operations: Record<string, number>;
  http: ClientStats;
  payments: Record<string, number>;
  refunds: Record<string, number>;
  disputes: Record<string, number>;
  webhookDeliveries: { events: number; attemptsReceived: number; redeliveriesAfterSuccess: number };
  faults: Record<string, number>;
  unexpectedExits: { role: string; code: number | null; signal: string | null; output: string }[];
  invariants: InvariantResult[];
  replay: ReplayOutcome;
  violations: number;
  serverErrors: number;
  /** Sandbox gateway operations, by kind, and how many were answered more than once (retries that found the first answer). */
  gateway: { operations: Record<string, number>; retriedOperations: number };
  stripe: StripeReport;
  adyen: AdyenReport;
  payouts: PayoutFigures;
}

/** A small seeded generator, so a run's choices can be repeated with CHAOS_SEED. */
function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

async function countBy(db: PgClient, text: string): Promise<Record<string, number>> {
  const result = await db.query<{ key: string; n: number }>(text);
  return Object.fromEntries(result.rows.map((row) => [row.key, Number(row.n)]));
}

/** A connection of the runner's own, once PostgreSQL (just restarted, perhaps) accepts one. */
function connect(url: string): Promise<PgClient> {
  return withPatience(30_000, async () => {
    const db = new PgClient({ connectionString: url });
    db.on('error', () => undefined);
    await db.connect();
    return db;
  });
}

/**
 * One chaos run: start the stack, create merchants with misbehaving webhook endpoints, drive the
 * load while injecting faults, stop the faults and let everything finish, then check the
 * invariants, replay every history and report.
 */
export async function runChaos(profile: ChaosProfile, log: (message: string) => void = () => undefined): Promise<ChaosReport> {
  // Replaying hundreds of histories would otherwise log every replay worker's state changes.
  try {
    Runtime.install({ logger: new DefaultLogger('WARN') });
  } catch {
    /* installed already (vitest) */
  }
  const started = Date.now();
  const random = seededRandom(profile.seed);
  const stripe = new ChaosStripe();
  await stripe.start();
  const adyen = new ChaosAdyen();
  await adyen.start();
  const stack = new ChaosStack({
    dataDir: path.join(ROOT, '.data', `chaos-${profile.name}`),
    workers: profile.workers,
    log,
    env: {
      SANDBOX_FAULTS: profile.sandboxFaults,
      SANDBOX_FAULT_SLOW_MS: '1500',
      SANDBOX_FAULT_BURST_MS: '2000',
      // Webhook retries a thousand times faster (5 s becomes 5 ms, a day 86 s), and a hanging endpoint is given up on after 3 s.
      WEBHOOK_RETRY_TIME_SCALE: '1000',
      WEBHOOK_TIMEOUT: '3s',
      RATE_LIMIT_PER_SECOND: '1000',
      RATE_LIMIT_BURST: '2000',
      DATABASE_POOL_MAX: '10',
      STRIPE_API_BASE: stripe.url,
      ADYEN_API_BASE: adyen.url,
      // A missing Adyen confirmation holds the payment for ops after 20 s; a lost authorisation is cancelled after 10 s.
      PAYMENT_CONFIRMATION_TIMEOUT: '20s',
      PAYMENT_TECHNICAL_CANCEL_AFTER: '10s',
      // A customer sent to 3-D Secure who never comes back fails the payment after a minute (the PaymentIntent canceled at Stripe).
      PAYMENT_ACTION_TIMEOUT: '60s',
      // Captures become available at the next settlement run, every 5 s, so payouts have a balance to draw on during the load.
      SETTLEMENT_DELAY_DAYS: '0',
      SETTLEMENT_INTERVAL: '5s',
      // A payout is cancelable for 2 s, at the bank 5 s later; a return comes 5 s after payment and is looked for every 2 s for 12 s.
      PAYOUT_SUBMIT_DELAY_MS: '2000',
      SANDBOX_BANK_TRANSIT_MS: '5000',
      SANDBOX_BANK_RETURN_AFTER_MS: '5000',
      PAYOUT_RETURN_CHECK_EVERY_MS: '2000',
      PAYOUT_RETURN_WATCH_MS: '12000',
    },
  });
  const receiver = new ChaosWebhookReceiver(random);
  let db: PgClient | undefined;
  try {
    log(`Starting the stack (${profile.workers} workers, 1 API, Temporal on SQLite, PostgreSQL)...`);
    await stack.start();
    await receiver.start();
    const client = new ChaosClient(stack.apiUrl);

    const { merchants, endpoints } = await createMerchants(client, stack, receiver, { stripe, adyen }, profile);

    log(`Load for ${profile.loadSeconds} s with ${profile.concurrency} merchant systems, faults on (seed ${profile.seed})...`);
    const gatewayMerchants = new Set([...stripe.merchants, ...adyen.merchants].map((merchant) => merchant.id));
    const sandboxMerchants = merchants.filter((merchant) => !gatewayMerchants.has(merchant.id));
    const load = new ChaosLoad(client, sandboxMerchants, stack.adminKey, random);
    load.withStripe(new StripeLoad(load, stripe.merchants, stripe.fake), profile.stripeMerchants > 0 ? profile.stripeShare : 0);
    const adyenLoad = new AdyenLoad(load, adyen.merchants);
    load.withAdyen(adyenLoad, profile.adyenMerchants > 0 ? profile.adyenShare : 0);
    const payoutLoad = new PayoutLoad(load, client, sandboxMerchants);
    await payoutLoad.addBankAccounts();
    // The Stripe merchants pay out too, through their Stripe gateway accounts, from a loop of their own.
    const stripePayouts = new StripePayoutLoad(load, client, payoutLoad, stripe.accounts, stripe.fake);
    payoutLoad.withStripe(stripePayouts, stripe.merchants);
    await stripePayouts.fund();
    if (profile.adyenMerchants > 0) await adyenLoad.beforeFaults();
    load.withPayouts(payoutLoad, profile.payoutEveryMs);
    // Gateway fault kinds still missing 60 % into the load are forced, leaving time for payments to meet them.
    const faults = new FaultInjector(stack, { ...profile.faults, gatewayTopUpAfterMs: Math.round(profile.loadSeconds * 600) }, random, log);
    const loadStarted = Date.now();
    faults.start();
    stripe.faultsOn(profile.stripeFaults, loadStarted + Math.round(profile.loadSeconds * 600), log);
    const adyenPlan = { loadStarted, loadMs: profile.loadSeconds * 1000, outage: profile.adyenOutage, topUpAt: 0.35 };
    if (profile.adyenMerchants > 0)
      adyen.faultsOn({ ...adyenPlan, everyMs: profile.adyenFaultEveryMs }, random, log, () => adyenLoad.duringOutage());
    // At most twice as long when a slow host has not run every scenario kind by the end of the planned load.
    await load.run(profile.concurrency, loadStarted + profile.loadSeconds * 1000, loadStarted + 2 * profile.loadSeconds * 1000);
    const overtime = Math.round((Date.now() - loadStarted) / 1000) - profile.loadSeconds;
    if (overtime > 1)
      log(`The load ran ${overtime} s past its ${profile.loadSeconds} s so that every scenario kind ran once (a slow host).`);
    log('Load done; stopping the faults and bringing every process back...');
    await stripe.faultsOff();
    await adyen.faultsOff();
    await faults.stop();
    const loadSeconds = Math.round((Date.now() - loadStarted) / 1000);

    log('Healing: endpoints answer again; waiting for every payment, refund and delivery to finish...');
    receiver.heal();
    const healStarted = Date.now();
    db = await connect(stack.databaseUrl);
    const open = await waitUntilHealed(
      db,
      stack,
      { stripe, adyen },
      load.outcome.leftWaitingForAction,
      healStarted + profile.healTimeoutMs,
    );
    const healSeconds = Math.round((Date.now() - healStarted) / 1000);

    log('Checking the invariants...');
    await load.confirmFinalStatuses(new Map(merchants.map((merchant) => [merchant.id, merchant])));
    await payoutLoad.confirmPayouts();
    const payouts = await payoutInvariants(db, open, payoutLoad.outcome, { fake: stripe.fake, accounts: stripe.accounts });
    // The full proof: every account, entry and merchant recomputed from the postings.
    const trialBalance = await client.call('GET', '/v1/ledger/trial_balance?verify=postings', { apiKey: stack.adminKey });
    const webhooks = await webhooksDelivered(db, receiver, endpoints);
    // After the webhook and nothing-stuck checks: the runs record reconciliation.* events that are delivered from now on.
    const stuck = await nothingStuck(db, open, load.outcome.leftWaitingForAction);
    const stripeReconciliation = await stripePayoutsReconcile(stack, db, stripe.fake, {
      loadStartedAt: loadStarted,
      openWorkflowIds: new Set(open.map((workflow) => workflow.workflowId)),
    });
    payouts.figures.stripeReconciliation = stripeReconciliation.figures;
    const stripeBooks = await stripeBooksMatch(db, stripe.fake);
    const adyenBooks = await adyenBooksMatch(
      db,
      adyen.fake,
      adyen.merchants.map((merchant) => merchant.id),
    );
    const invariants: InvariantResult[] = [
      stuck,
      await gatewayBooksMatch(db),
      stripeBooks.result,
      stripeEventsDelivered(stripe),
      adyenBooks.result,
      adyenNotificationsDelivered(adyen),
      await ledgerConsistent(db, trialBalance.body),
      ...payouts.results,
      stripeReconciliation.result,
      webhooks.result,
      {
        name: 'what the merchant systems saw holds (one payment per Idempotency-Key, final states stay final)',
        checked: load.outcome.payments.size,
        violations: load.outcome.violations.length,
        examples: load.outcome.violations.slice(0, 8),
      },
    ];
    log('Replaying every workflow history of the run...');
    const replay = await replayAllHistories(stack.temporalAddress, stack.payloadKeys, stack.workflowBundlePath);
    invariants.push({
      name: 'every history of the run replays without non-determinism',
      checked: replay.replayed,
      violations: replay.failures.length,
      examples: replay.failures.slice(0, 8),
    });
    if (stack.unexpectedExits.length > 0) {
      invariants.push({
        name: 'no process died on its own',
        checked: profile.workers + 1,
        violations: stack.unexpectedExits.length,
        examples: stack.unexpectedExits
          .map((exit) => `${exit.role} exited (${exit.code ?? exit.signal}): ${exit.output.split('\n').slice(-3).join(' | ')}`)
          .slice(0, 8),
      });
    }

    const sandboxFaults = await countBy(db, `select 'gateway_' || kind as key, count(*) as n from sandbox_faults group by kind`);
    const report: ChaosReport = {
      profile: profile.name,
      seed: profile.seed,
      startedAt: new Date(started).toISOString(),
      loadSeconds,
      healSeconds,
      totalSeconds: Math.round((Date.now() - started) / 1000),
      scenarios: load.outcome.scenarios,
      operations: load.outcome.operations,
      http: client.stats,
      payments: await countBy(db, `select status as key, count(*) as n from payments group by status`),
      refunds: await countBy(db, `select status as key, count(*) as n from refunds group by status`),
      disputes: await countBy(db, `select status as key, count(*) as n from disputes group by status`),
      webhookDeliveries: {
        events: Number((await db.query(`select count(*) as n from events`)).rows[0].n),
        attemptsReceived: [...receiver.endpoints.values()].reduce(
          (sum, endpoint) => sum + [...endpoint.deliveries.values()].reduce((s, d) => s + d.attempts, 0),
          0,
        ),
        redeliveriesAfterSuccess: webhooks.redeliveriesAfterSuccess,
      },
      faults: { ...faults.injected, ...sandboxFaults, ...receiver.faults, ...stripe.faultCounts(), ...adyen.faultCounts() },
      unexpectedExits: stack.unexpectedExits,
      invariants,
      replay,
      violations: invariants.reduce((sum, invariant) => sum + invariant.violations, 0),
      serverErrors: client.stats.serverErrors,
      gateway: {
        operations: await countBy(
          db,
          `select operation || ' ' || outcome as key, count(*) as n from sandbox_gateway_operations group by 1`,
        ),
        retriedOperations: Number((await db.query(`select count(*) as n from sandbox_gateway_operations where attempts > 1`)).rows[0].n),
      },
      stripe: await stripe.report(db, stripeBooks.figures),
      adyen: await adyenReport(db, adyen, adyenBooks.figures, stack),
      payouts: payouts.figures,
    };
    return report;
  } finally {
    await db?.end().catch(() => undefined);
    await receiver.stop();
    await stack.stop();
    await stripe.stop();
    await adyen.stop();
  }
}

async function main(): Promise<void> {
  const profileName = (process.argv[2] ?? process.env.CHAOS_PROFILE ?? 'long') as keyof typeof PROFILES;
  const base = PROFILES[profileName];
  if (!base) throw new Error(`Unknown profile "${profileName}": use short or long`);
  const profile: ChaosProfile = {
    ...base,
    loadSeconds: Number(process.env.CHAOS_SECONDS ?? base.loadSeconds),
    concurrency: Number(process.env.CHAOS_CONCURRENCY ?? base.concurrency),
    seed: Number(process.env.CHAOS_SEED ?? Math.floor(Math.random() * 2 ** 31)),
  };
  const say = (message: string) => process.stdout.write(`[chaos ${new Date().toISOString().slice(11, 19)}] ${message}\n`);
  const report = await runChaos(profile, say);
  const dir = path.join(ROOT, '.data', 'chaos-reports');
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `${report.startedAt.replace(/[:.]/g, '-')}-${report.profile}.json`);
  fs.writeFileSync(file, JSON.stringify(report, null, 2));
  process.stdout.write(`\n${formatReport(report)}\nFull report: ${path.relative(ROOT, file)}\n`);
  process.exit(report.violations === 0 && report.serverErrors === 0 ? 0 : 1);
}

if (require.main === module) {
  main().catch((error) => {
    process.stderr.write(`chaos run failed: ${startupFailureText(error)}\n`);
    process.exit(2);
  });
}
