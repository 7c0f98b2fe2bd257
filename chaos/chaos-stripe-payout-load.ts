import { randomUUID } from 'node:crypto';
import Stripe from 'stripe';
import { parseStripeApiBase } from '../src/gateways/stripe/stripe-api-base';
import type { StripeFake } from '../src/gateways/stripe/stripe-fake';
import type { ChaosClient } from './chaos-client';
import type { LoadActions } from './chaos-load-actions';
import type { PayoutDestination, PayoutLoad } from './chaos-payout-load';
import type { StripeChaosAccount } from './chaos-stripe';

export const STRIPE_PAYOUT_SCENARIOS = ['stripe_payout', 'stripe_payout_gateway_short', 'stripe_payout_race'] as const;
export type StripePayoutScenario = (typeof STRIPE_PAYOUT_SCENARIOS)[number];
/** Each scenario's share once every kind has run, as cumulative bounds in STRIPE_PAYOUT_SCENARIOS' order. */
const WEIGHTS = [0.6, 0.75, 1];

const PAID = '000123456789';
const ACCOUNT_CLOSED = '000111111113';
const PAID_THEN_FAILED = '000999999991';
/**
 * The account numbers the Stripe account pays out to, in turn (set at the fake before each scenario,
 * as a merchant replaces its bank account in the Dashboard): Stripe's test numbers for paid,
 * account_closed, no_account and insufficient_funds, and the fake's own paid-then-failed number.
 */
const ACCOUNT_ROTATION = [PAID, PAID_THEN_FAILED, ACCOUNT_CLOSED, PAID, '000111111116', '000222222227', PAID_THEN_FAILED, PAID];
// Our balance below this (minor units) and the first round waits: a payout refused at our balance tells nothing of Stripe.
const FIRST_ROUND_MINIMUM = 2_000;
// How long a scenario waits for its payouts to reach Stripe, so the next one's account number is not theirs.
const SUBMIT_WAIT_MS = 10_000;

/**
 * The Stripe merchants' payouts through their Stripe gateway accounts (`gateway_account: gwa_...`):
 * single payouts (some sent again under their key, before and after they reached Stripe; some
 * canceled at once), five at once against a balance that covers three, and a payout Stripe must
 * refuse because the merchant drew its Stripe balance down from the Dashboard meanwhile
 * (`gateway_balance_insufficient`: nothing at Stripe, the money available again with us).
 */
export class StripePayoutLoad {
  private readonly firstRound: StripePayoutScenario[] = [...STRIPE_PAYOUT_SCENARIOS];
  private readonly turns = new Map<string, number>();
  private singles = 0;
  /** Payouts the merchants made at Stripe themselves (not through us), to drain the balance. */
  dashboardPayouts = 0;

  /** Scenario kinds of the first round still to run: a slowed run keeps its load going until they have. */
  get firstRoundLeft(): number {
    return this.firstRound.length;
  }

  constructor(
    private readonly actions: LoadActions,
    private readonly client: ChaosClient,
    private readonly payouts: PayoutLoad,
    private readonly accounts: StripeChaosAccount[],
    private readonly fake: StripeFake,
  ) {}

  /**
   * Before the faults: a few sales on each Stripe account, so its payouts have money to draw on, with us
   * (once settled, within 5 s) and at Stripe, from the start of the load.
   */
  async fund(salesPerAccount = 4): Promise<void> {
    const a = this.actions;
    await Promise.all(
      this.accounts.flatMap(({ merchant }) =>
        Array.from({ length: salesPerAccount }, async () => {
          const payment = await a.createPayment(merchant, 'stripe_payout_funding', {
            amount: Math.round((400 + a.random() * 100) * 100) / 100,
            currency: 'USD',
            source: 'pm_card_visa',
            description: 'chaos sale before the Stripe payouts',
          });
          if (payment) await a.settle(merchant, payment.id, 20_000);
        }),
      ),
    );
  }

  async oneScenario(): Promise<void> {
    const a = this.actions;
    const account = a.pick(this.accounts);
    const roll = a.random();
    const funded = (await this.payouts.availableMinor(account.merchant, 'USD')) >= FIRST_ROUND_MINIMUM;
    const name: StripePayoutScenario = !funded
      ? 'stripe_payout'
      : (this.firstRound.shift() ?? STRIPE_PAYOUT_SCENARIOS[WEIGHTS.findIndex((upTo) => roll < upTo)] ?? 'stripe_payout');
    return a.scenario(name, () => {
      switch (name) {
        case 'stripe_payout':
          return this.single(account);
        case 'stripe_payout_race':
          return this.race(account);
        case 'stripe_payout_gateway_short':
          return this.gatewayShort(account);
      }
    });
  }

  /** One payout of a part of the available balance; every other one sent again under its key, every third canceled at once. */
  private async single(account: StripeChaosAccount): Promise<void> {
    const a = this.actions;
    const turn = this.singles++;
    const currency = a.random() < 0.85 ? 'USD' : 'EUR';
    const available = await this.payouts.availableMinor(account.merchant, currency);
    const amountMinor = Math.max(100, Math.floor(available * (0.05 + a.random() * 0.25)));
    const destination = this.nextDestination(account);
    const key = randomUUID();
    const created = await this.payouts.create(account.merchant, currency, amountMinor, destination, key);
    if (!created.id) return;
    this.turnUsed(account);
    const resend = turn % 2 === 0;
    if (resend) await this.payouts.sendAgain(account.merchant, currency, amountMinor, destination, key, created.id);
    if (turn % 3 === 2) await this.payouts.cancel(account.merchant, created.id);
    await this.untilSubmitted(account, [created.id]);
    // Again once Stripe has it (or refused it): still the one payout, and never a second one at Stripe.
    if (resend) await this.payouts.sendAgain(account.merchant, currency, amountMinor, destination, key, created.id);
  }

  /** Five payouts at once, each of 30 % of our available balance: at most three fit; each that fits goes to Stripe once. */
  private async race(account: StripeChaosAccount): Promise<void> {
    const available = await this.payouts.availableMinor(account.merchant, 'USD');
    const amountMinor = Math.max(100, Math.floor(available * 0.3));
    const destination = this.nextDestination(account);
    const created = await Promise.all(
      Array.from({ length: 5 }, () => this.payouts.create(account.merchant, 'USD', amountMinor, destination, randomUUID())),
    );
    const ids = created.flatMap((answer) => (answer.id ? [answer.id] : []));
    if (ids.length > 0) this.turnUsed(account);
    await this.untilSubmitted(account, ids);
  }

  /**
   * The merchant asks us for a payout our balance covers, and while it waits its 2 s to be sent, pays
   * its whole Stripe balance out from the Dashboard (to the paid-then-failed number, so the money is
   * back 10 s later, or at once when canceled in time): Stripe refuses ours for its own balance, and
   * ours fails with gateway_balance_insufficient. Faults that hold the submission past the return can
   * let Stripe take it after all; the invariants hold either way.
   */
  private async gatewayShort(account: StripeChaosAccount): Promise<void> {
    const a = this.actions;
    const available = await this.payouts.availableMinor(account.merchant, 'USD');
    const amountMinor = Math.max(100, Math.floor(available * 0.3));
    this.fake.updateAccount(account.secretKey, { payoutAccountNumber: PAID_THEN_FAILED });
    const destination = { gatewayAccount: account.gatewayAccountId, last4: PAID_THEN_FAILED.slice(-4) };
    const created = await this.payouts.create(account.merchant, 'USD', amountMinor, destination, randomUUID());
    if (!created.id) return;
    const dashboard = new Stripe(account.secretKey, { ...parseStripeApiBase(this.fake.url), maxNetworkRetries: 3, telemetry: false });
    let drained: string | undefined;
    try {
      const balance = await dashboard.balance.retrieve();
      const atStripe = balance.available.find((funds) => funds.currency === 'usd')?.amount ?? 0;
      if (atStripe > 0) {
        a.count('dashboard payout at stripe');
        this.dashboardPayouts++;
        const payout = await dashboard.payouts.create(
          { amount: atStripe, currency: 'usd', description: 'chaos: paid out from the Dashboard' },
          { idempotencyKey: randomUUID() },
        );
        drained = payout.id;
      }
    } catch {
      // A fault at the fake: the Dashboard payout may or may not exist; either way its money is back within 10 s.
    }
    await this.untilSubmitted(account, [created.id]);
    if (drained) await dashboard.payouts.cancel(drained).catch(() => undefined);
  }

  /** The account number in turn, set at the fake before the scenario's payouts reach Stripe. */
  private nextDestination(account: StripeChaosAccount): PayoutDestination {
    const turn = this.turns.get(account.gatewayAccountId) ?? 0;
    const number = ACCOUNT_ROTATION[turn % ACCOUNT_ROTATION.length];
    this.fake.updateAccount(account.secretKey, { payoutAccountNumber: number });
    return { gatewayAccount: account.gatewayAccountId, last4: number.slice(-4) };
  }

  /** A payout went to the number in turn (one refused at our balance never reaches Stripe, so the number waits for the next). */
  private turnUsed(account: StripeChaosAccount): void {
    this.turns.set(account.gatewayAccountId, (this.turns.get(account.gatewayAccountId) ?? 0) + 1);
  }

  /** Waits (a while, not forever: a worker may be down) until each payout has left `pending`: sent to Stripe, refused, or canceled. */
  private async untilSubmitted(account: StripeChaosAccount, payoutIds: string[]): Promise<void> {
    const until = Date.now() + SUBMIT_WAIT_MS;
    const waiting = new Set(payoutIds);
    while (waiting.size > 0 && Date.now() < until) {
      await new Promise((resolve) => setTimeout(resolve, 500));
      for (const id of [...waiting]) {
        this.actions.count('retrieve payout');
        const payout = await this.client.call('GET', `/v1/payouts/${id}`, { apiKey: account.merchant.apiKey });
        if (payout.status === 200 && payout.body?.status !== 'pending') waiting.delete(id);
      }
    }
  }
}
