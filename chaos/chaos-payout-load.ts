import { randomUUID } from 'node:crypto';
import type { ChaosClient } from './chaos-client';
import type { ChaosMerchant, LoadActions } from './chaos-load-actions';
import { TEST_BANK_ACCOUNT_OUTCOMES, TEST_BANK_ACCOUNTS_PAID } from '../src/bank-accounts/test-bank-accounts';
import type { StripePayoutLoad } from './chaos-stripe-payout-load';

export const PAYOUT_SCENARIOS = ['payout', 'payout_race'] as const;
export type PayoutScenario = (typeof PAYOUT_SCENARIOS)[number];

/** A payout the API answered 201 for, as the merchant system last saw it. */
export interface TrackedPayout {
  id: string;
  merchantId: string;
  amountMinor: number;
  currency: string;
  /** The test account's last 4: what the sandbox bank (or Stripe, for a gateway account's payout) will do with it. */
  last4: string;
  network: 'sandbox_bank' | 'stripe';
  lastSeenStatus: string;
}

/** Where a payout is sent: one of our bank accounts, or a Stripe gateway account's own bank account. */
export type PayoutDestination = { bankAccount: string; last4: string } | { gatewayAccount: string; last4: string };

export interface PayoutLoadOutcome {
  payouts: Map<string, TrackedPayout>;
  /** 400 balance_insufficient answers: expected, the balance did not cover the request. */
  rejectedForBalance: number;
  /** 202 answers: accepted before the balance check ran (a worker or Temporal down); it may become a payout or be refused. */
  acceptedUndecided: number;
  /** Cancels answered 200 (canceled) and 400 payout_not_cancelable (already sent to the bank). */
  canceled: number;
  notCancelable: number;
}

interface BankAccount {
  id: string;
  last4: string;
}

const toBankAccount = (account: BankAccount): PayoutDestination => ({ bankAccount: account.id, last4: account.last4 });

/** The accounts each merchant adds: the paid ones first, so they are the defaults of their currency. */
function accountsToAdd(): { body: Record<string, unknown>; last4: string }[] {
  const us = (accountNumber: string) => ({
    country: 'US',
    currency: 'USD',
    account_holder_name: 'Chaos Merchant',
    account_number: accountNumber,
    routing_number: TEST_BANK_ACCOUNTS_PAID.us.routingNumber,
  });
  const de = (iban: string) => ({ country: 'DE', currency: 'EUR', account_holder_name: 'Chaos Merchant', iban });
  const failing = Object.entries(TEST_BANK_ACCOUNT_OUTCOMES);
  return [
    { body: us(TEST_BANK_ACCOUNTS_PAID.us.accountNumber), last4: TEST_BANK_ACCOUNTS_PAID.us.accountNumber.slice(-4) },
    { body: de(TEST_BANK_ACCOUNTS_PAID.iban), last4: TEST_BANK_ACCOUNTS_PAID.iban.slice(-4) },
    ...failing.map(([last4, account]) => ({ body: us(account.usAccount), last4 })),
    { body: de(TEST_BANK_ACCOUNT_OUTCOMES['0009'].iban), last4: '0009' },
  ];
}

/**
 * Where the next payouts go, in turn, so a short run meets every bank outcome: paid (most),
 * paid then returned, and each failure the sandbox bank has.
 */
const OUTCOME_ROTATION = ['paid', '0009', 'paid', '0002', 'paid', '0003', '0009', 'paid', '0004', '0005', 'paid', '0006', '0007'];

/**
 * The merchants' payouts: each sandbox merchant adds bank accounts (the paid test accounts and those
 * that fail or are returned), then draws on its available balance: single payouts (some sent again
 * with the same Idempotency-Key, some canceled at once) and bursts of payouts at once that the
 * balance covers only in part. A 400 balance_insufficient is a right answer; so is a cancel refused
 * because the payout already went to the bank. With `withStripe`, the Stripe merchants pay out too,
 * through their gateway accounts, from a loop of their own (chaos-stripe-payout-load.ts).
 */
export class PayoutLoad {
  readonly outcome: PayoutLoadOutcome = { payouts: new Map(), rejectedForBalance: 0, acceptedUndecided: 0, canceled: 0, notCancelable: 0 };
  private readonly accounts = new Map<string, Map<string, Map<string, BankAccount>>>();
  private turn = 0;
  private stripe?: { load: StripePayoutLoad; merchants: ChaosMerchant[] };

  constructor(
    private readonly actions: LoadActions,
    private readonly client: ChaosClient,
    private readonly merchants: ChaosMerchant[],
  ) {}

  /** Adds the Stripe merchants' payouts through their gateway accounts (their finance system's loop runs `oneStripeScenario`). */
  withStripe(load: StripePayoutLoad, merchants: ChaosMerchant[]): this {
    if (merchants.length > 0) this.stripe = { load, merchants };
    return this;
  }

  /** Whether the Stripe merchants pay out too. */
  get hasStripe(): boolean {
    return this.stripe !== undefined;
  }

  /** The Stripe merchants' payout scenario kinds still to run once. */
  get stripeFirstRoundLeft(): number {
    return this.stripe?.load.firstRoundLeft ?? 0;
  }

  /** One of the Stripe merchants' payout scenarios. */
  async oneStripeScenario(): Promise<void> {
    await this.stripe?.load.oneScenario();
  }

  /** Adds every merchant's bank accounts (before the faults start). */
  async addBankAccounts(): Promise<void> {
    for (const merchant of this.merchants) {
      const byCurrency = new Map<string, Map<string, BankAccount>>();
      for (const { body, last4 } of accountsToAdd()) {
        const created = await this.client.call('POST', '/v1/bank_accounts', {
          apiKey: merchant.apiKey,
          body,
          idempotencyKey: `chaos-bank-account-${merchant.id}-${body.currency as string}-${last4}`,
        });
        if (created.status !== 201) throw new Error(`adding a bank account answered ${created.status}: ${JSON.stringify(created.body)}`);
        const currency = created.body.currency as string;
        if (!byCurrency.has(currency)) byCurrency.set(currency, new Map());
        (byCurrency.get(currency) as Map<string, BankAccount>).set(last4, { id: created.body.id, last4 });
      }
      this.accounts.set(merchant.id, byCurrency);
    }
  }

  async oneScenario(): Promise<void> {
    const a = this.actions;
    const name: PayoutScenario = a.random() < 0.7 ? 'payout' : 'payout_race';
    return a.scenario(name, () => (name === 'payout' ? this.singlePayout() : this.race()));
  }

  /** One payout of a part of the available balance; sometimes sent twice with its key, sometimes canceled at once. */
  private async singlePayout(): Promise<void> {
    const a = this.actions;
    const merchant = a.pick(this.merchants);
    const currency = a.random() < 0.85 ? 'USD' : 'EUR';
    const available = await this.availableMinor(merchant, currency);
    const amountMinor = Math.max(100, Math.floor(available * (0.05 + a.random() * 0.25)));
    const account = toBankAccount(this.nextAccount(merchant, currency));
    const key = randomUUID();
    const created = await this.create(merchant, currency, amountMinor, account, key);
    // The same request again, as a merchant system does when it is unsure the first arrived: the same payout, never a second.
    if (created.id && a.random() < 0.3) await this.sendAgain(merchant, currency, amountMinor, account, key, created.id);
    if (created.id && a.random() < 0.25) await this.cancel(merchant, created.id);
  }

  /** The same POST /v1/payouts again under its key: it must answer with the same payout (no answer at all is no answer). */
  async sendAgain(
    merchant: ChaosMerchant,
    currency: string,
    amountMinor: number,
    destination: PayoutDestination,
    key: string,
    payoutId: string,
  ): Promise<void> {
    const again = await this.create(merchant, currency, amountMinor, destination, key);
    if (again.id !== payoutId && again.status !== 0)
      this.actions.outcome.violations.push(
        `payout ${payoutId}, sent again with its Idempotency-Key, was answered ${again.status} ${again.id ?? JSON.stringify(again.body)}`,
      );
  }

  /** Five payouts at once, each of 30 % of the available balance: at most three fit. */
  private async race(): Promise<void> {
    const a = this.actions;
    const merchant = a.pick(this.merchants);
    const available = await this.availableMinor(merchant, 'USD');
    const amountMinor = Math.max(100, Math.floor(available * 0.3));
    await Promise.all(
      Array.from({ length: 5 }, () =>
        this.create(merchant, 'USD', amountMinor, toBankAccount(this.nextAccount(merchant, 'USD')), randomUUID()),
      ),
    );
  }

  private nextAccount(merchant: ChaosMerchant, currency: string): BankAccount {
    const accounts = this.accounts.get(merchant.id)?.get(currency) as Map<string, BankAccount>;
    const wanted = OUTCOME_ROTATION[this.turn++ % OUTCOME_ROTATION.length];
    const paid = [...accounts.values()][0];
    return (wanted === 'paid' ? paid : accounts.get(wanted)) ?? paid;
  }

  /** The merchant's available balance in the currency, in minor units, as GET /v1/balance answers it. */
  async availableMinor(merchant: ChaosMerchant, currency: string): Promise<number> {
    this.actions.count('retrieve balance');
    const balance = await this.client.call('GET', '/v1/balance', { apiKey: merchant.apiKey });
    const amount = (balance.body?.available ?? []).find((money: { currency: string }) => money.currency === currency)?.amount;
    return typeof amount === 'number' ? Math.round(amount * 100) : 0;
  }

  /** POST /v1/payouts; `id` is the payout's on a 201 (a refusal for the balance is counted, any other answer is a violation). */
  async create(
    merchant: ChaosMerchant,
    currency: string,
    amountMinor: number,
    destination: PayoutDestination,
    key: string,
  ): Promise<{ status: number; id?: string; body?: unknown }> {
    const a = this.actions;
    const toGateway = 'gatewayAccount' in destination;
    a.count(toGateway ? 'create payout (stripe)' : 'create payout');
    const answer = await this.client.call('POST', '/v1/payouts', {
      apiKey: merchant.apiKey,
      idempotencyKey: key,
      body: {
        amount: amountMinor / 100,
        currency,
        ...(toGateway ? { gateway_account: destination.gatewayAccount } : { bank_account: destination.bankAccount }),
        description: 'chaos payout',
        metadata: { key },
      },
    });
    if (answer.status === 201 && typeof answer.body?.id === 'string') {
      const known = this.outcome.payouts.get(answer.body.id);
      this.outcome.payouts.set(answer.body.id, {
        id: answer.body.id,
        merchantId: merchant.id,
        amountMinor,
        currency,
        last4: destination.last4,
        network: toGateway ? 'stripe' : 'sandbox_bank',
        lastSeenStatus: known?.lastSeenStatus === 'canceled' ? 'canceled' : answer.body.status,
      });
      return { status: 201, id: answer.body.id };
    }
    if (answer.status === 400 && answer.body?.code === 'balance_insufficient') this.outcome.rejectedForBalance++;
    // Not decided yet: no promise that it exists; the invariants check whatever it became like any other payout.
    else if (answer.status === 202) this.outcome.acceptedUndecided++;
    // No answer before the client's deadline (the API down for long): the invariants find the payout or its absence.
    else if (answer.status !== 0)
      a.outcome.violations.push(
        `POST /v1/payouts (key ${key}) answered ${answer.status} after ${answer.sends} send(s): ${JSON.stringify(answer.body)}`,
      );
    return { status: answer.status, body: answer.body };
  }

  /** Cancels at once: the payout waits for its submit delay, so this is usually in time; after it, 400 payout_not_cancelable is right. */
  async cancel(merchant: ChaosMerchant, payoutId: string): Promise<void> {
    const a = this.actions;
    a.count(this.outcome.payouts.get(payoutId)?.network === 'stripe' ? 'cancel payout (stripe)' : 'cancel payout');
    const answer = await this.client.call('POST', `/v1/payouts/${payoutId}/cancel`, {
      apiKey: merchant.apiKey,
      idempotencyKey: randomUUID(),
    });
    const tracked = this.outcome.payouts.get(payoutId) as TrackedPayout;
    if (answer.status === 200 && answer.body?.status === 'canceled') {
      this.outcome.canceled++;
      tracked.lastSeenStatus = 'canceled';
    } else if (answer.status === 400 && answer.body?.code === 'payout_not_cancelable') this.outcome.notCancelable++;
    else if (answer.status !== 0)
      a.outcome.violations.push(
        `cancel of payout ${payoutId} answered ${answer.status} after ${answer.sends} send(s): ${JSON.stringify(answer.body)}`,
      );
  }

  /** After the heal: every payout answered 201 is there for its merchant, and one seen canceled is canceled still. */
  async confirmPayouts(): Promise<void> {
    const byId = new Map([...this.merchants, ...(this.stripe?.merchants ?? [])].map((merchant) => [merchant.id, merchant]));
    for (const payout of this.outcome.payouts.values()) {
      const fetched = await this.client.call('GET', `/v1/payouts/${payout.id}`, {
        apiKey: (byId.get(payout.merchantId) as ChaosMerchant).apiKey,
      });
      if (fetched.status !== 200) this.actions.outcome.violations.push(`payout ${payout.id}, answered 201, reads ${fetched.status} now`);
      else if (payout.lastSeenStatus === 'canceled' && fetched.body.status !== 'canceled')
        this.actions.outcome.violations.push(`payout ${payout.id} was canceled to the client and is ${fetched.body.status} now`);
    }
  }
}
