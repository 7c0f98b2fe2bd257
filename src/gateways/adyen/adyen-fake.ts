import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { handleCheckoutRequest, type FakeAdyenFault, type FakeAdyenOperation, type FakeAdyenRequestLogEntry } from './adyen-fake-http';
import {
  FakeNotificationBus,
  type FakeNotification,
  type FakeNotificationDelivery,
  type FakeNotificationRule,
} from './adyen-fake-notifications';
import {
  completeAction,
  FakeAdyenAccount,
  type FakeAdyenAccountInput,
  type FakeAdyenModification,
  type FakeAdyenPayment,
  type StateContext,
} from './adyen-fake-state';

export { ADYEN_REFUSAL_REASONS, ADYEN_TEST_CARDS } from './adyen-fake-cards';
export type { FakeAdyenFault, FakeAdyenOperation, FakeAdyenRequestLogEntry } from './adyen-fake-http';
export type { AdyenNotificationItem, FakeNotification, FakeNotificationDelivery, FakeNotificationRule } from './adyen-fake-notifications';
export type { FakeAdyenAccountInput, FakeAdyenModification, FakeAdyenPayment } from './adyen-fake-state';

/** The Checkout API version @adyen/api-library 32.1.0 sends (`https://checkout-test.adyen.com/v72`). */
export const ADYEN_FAKE_CHECKOUT_VERSION = 'v72';

export interface AdyenFakeOptions {
  accounts?: FakeAdyenAccountInput[];
  /** Send notifications as they happen (default true); otherwise `sendPendingNotifications`/`redeliver` send them. */
  autoSendNotifications?: boolean;
  /** How long every notification waits before it is sent (default 0). */
  notificationDelayMs?: number;
  /** How long a received capture/cancel/refund takes to be decided and notified (default 0). */
  modificationDelayMs?: number;
  /** How long after a chargeback card's capture the CHARGEBACK notification comes (default 100 ms). */
  chargebackDelayMs?: number;
  deliveryTimeoutMs?: number;
  /** The `live` flag of the notifications (default false). */
  live?: boolean;
  port?: number;
  now?: () => number;
}

/** A running fake of the Adyen Checkout endpoints we use, and the controls a test uses directly (not over HTTP). */
export interface AdyenFake {
  /** The base the library's Checkout URLs are rebased on: requests go to `${url}/v72/payments`. */
  url: string;
  host: string;
  port: number;
  stop(): Promise<void>;
  addAccount(input: FakeAdyenAccountInput): { merchantAccount: string };
  setNotificationUrl(merchantAccount: string, url: string | undefined): void;
  /** The shopper completes (or fails) 3-D Secure for a RedirectShopper payment; AUTHORISATION follows. */
  completeAction(pspReference: string, outcome: { succeed: boolean }): FakeAdyenPayment;
  injectFault(fault: FakeAdyenFault): void;
  clearFaults(): void;
  /** Delay, duplicate, drop or hold the next matching notifications. */
  notificationRule(rule: FakeNotificationRule): void;
  clearNotificationRules(): void;
  /** Sends held notifications, newest first by default (out of order). */
  releaseHeld(order?: 'reverse' | 'fifo'): Promise<FakeNotificationDelivery[]>;
  sendPendingNotifications(): Promise<FakeNotificationDelivery[]>;
  /** Sends one notification again, dropped and held ones included. */
  redeliver(notificationId: string): Promise<FakeNotificationDelivery | undefined>;
  payments(filter?: { merchantReference?: string; pspReference?: string; merchantAccount?: string }): FakeAdyenPayment[];
  modifications(filter?: {
    paymentPspReference?: string;
    type?: FakeAdyenModification['type'];
    merchantAccount?: string;
  }): FakeAdyenModification[];
  notifications(filter?: { eventCode?: string; pspReference?: string; merchantAccount?: string }): FakeNotification[];
  requestLog(): FakeAdyenRequestLogEntry[];
  /** Resolves when no scheduled change is due and no notification is in flight. */
  idle(): Promise<void>;
  /**
   * An outage (true) or its end (false): the port refuses connections, open ones are cut, and
   * notifications wait; at the end the port listens again with every state kept and they go out.
   */
  setOutage(down: boolean): Promise<void>;
  readonly down: boolean;
}

/**
 * Starts a stateful fake of Adyen's Checkout API (payments, captures, cancels, refunds, technical
 * cancels, payment methods) and its standard notifications, on a free port of 127.0.0.1.
 */
export async function startAdyenFake(options: AdyenFakeOptions = {}): Promise<AdyenFake> {
  const now = options.now ?? Date.now;
  const accounts = new Map<string, FakeAdyenAccount>();
  const byKey = new Map<string, FakeAdyenAccount>();
  const faults: (FakeAdyenFault & { left: number })[] = [];
  const log: FakeAdyenRequestLogEntry[] = [];
  const timers = new Map<NodeJS.Timeout, () => void>();
  const due = new Set<Promise<void>>();
  let baseUrl = '';
  const later = (ms: number, work: () => void) => {
    let finish = () => {};
    const done = new Promise<void>((resolve) => (finish = resolve));
    const timer = setTimeout(() => {
      timers.delete(timer);
      try {
        work();
      } catch (error) {
        // A scheduled change failing is a bug of the fake; it must not take the test process down.
        process.emitWarning(`Adyen fake: a scheduled change failed: ${error instanceof Error ? error.message : String(error)}`);
      } finally {
        finish();
      }
    }, ms);
    timers.set(timer, finish);
    due.add(done);
    void done.finally(() => due.delete(done));
  };
  const bus = new FakeNotificationBus({
    now,
    autoSend: options.autoSendNotifications ?? true,
    delayMs: options.notificationDelayMs ?? 0,
    deliveryTimeoutMs: options.deliveryTimeoutMs ?? 5000,
    live: options.live ?? false,
    destination: (merchantAccount) => accounts.get(merchantAccount),
    later,
  });
  const ctx: StateContext = {
    now,
    bus,
    later,
    modificationDelayMs: options.modificationDelayMs ?? 0,
    chargebackDelayMs: options.chargebackDelayMs ?? 100,
    redirectUrl: (psp) => `${baseUrl}/fake-3ds/${psp}`,
  };
  const drawFault = (operation: FakeAdyenOperation) => {
    const fault = faults.find((candidate) => candidate.operation === operation && candidate.left > 0);
    if (!fault) return undefined;
    fault.left -= 1;
    return fault.kind;
  };
  const accountOfPayment = (psp: string) => {
    const account = [...accounts.values()].find((candidate) => candidate.payments.has(psp));
    if (!account) throw new Error(`No such payment in the fake: ${psp}`);
    return account;
  };
  const snapshot = <T extends object>(value: T): T => structuredClone(value);

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const path = (req.url ?? '/').split('?')[0];
      const threeDs = /^\/fake-3ds\/([A-Z0-9]+)$/.exec(path);
      if (threeDs && req.method === 'GET') return shopperPage(req, res, threeDs[1]);
      try {
        handleCheckoutRequest(
          { ctx, accountOfKey: (key) => byKey.get(key), drawFault, log },
          req,
          res,
          Buffer.concat(chunks).toString('utf8'),
        );
      } catch {
        if (!res.headersSent) res.writeHead(500).end();
      }
    });
  });
  /** The issuer's 3-D Secure page: `?result=fail` fails it; either way the shopper is sent back to the returnUrl. */
  const shopperPage = (req: http.IncomingMessage, res: http.ServerResponse, psp: string) => {
    const result = new URL(req.url ?? '/', baseUrl).searchParams.get('result');
    if (result === null)
      return void res
        .writeHead(200, { 'Content-Type': 'text/html' })
        .end('<form><button name="result" value="succeed">Complete</button></form>');
    try {
      const payment = completeAction(ctx, accountOfPayment(psp), psp, result !== 'fail');
      if (payment.returnUrl) return void res.writeHead(302, { Location: payment.returnUrl }).end();
      res.writeHead(200, { 'Content-Type': 'text/plain' }).end(payment.resultCode);
    } catch (error) {
      res.writeHead(404, { 'Content-Type': 'text/plain' }).end(error instanceof Error ? error.message : 'not found');
    }
  };
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  baseUrl = `http://127.0.0.1:${port}`;
  const strip = ({ traits: _traits, ...payment }: FakeAdyenPayment & { traits?: unknown }): FakeAdyenPayment => snapshot(payment);

  let down = false;
  const listen = () =>
    new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => {
        server.off('error', reject);
        resolve();
      });
    });
  const close = async () => {
    const closed = new Promise((resolve) => server.close(resolve));
    server.closeAllConnections();
    await closed;
  };

  const fake: AdyenFake = {
    url: baseUrl,
    host: '127.0.0.1',
    port,
    get down() {
      return down;
    },
    async setOutage(on) {
      if (on === down) return;
      down = on;
      if (on) {
        bus.pause();
        await close();
      } else {
        // The same port, so the adapters' base URL still reaches it.
        await listen();
        bus.resume();
      }
    },
    async stop() {
      for (const [timer, finish] of timers) {
        clearTimeout(timer);
        finish();
      }
      timers.clear();
      if (!down) await close();
    },
    addAccount(input) {
      if (byKey.has(input.apiKey)) throw new Error('The fake already has an account with this API key');
      if (accounts.has(input.merchantAccount)) throw new Error('The fake already has this merchant account');
      const account = new FakeAdyenAccount(input);
      accounts.set(account.merchantAccount, account);
      byKey.set(account.apiKey, account);
      return { merchantAccount: account.merchantAccount };
    },
    setNotificationUrl(merchantAccount, url) {
      const account = accounts.get(merchantAccount);
      if (!account) throw new Error(`No such merchant account in the fake: ${merchantAccount}`);
      account.notificationUrl = url;
    },
    completeAction: (psp, outcome) => strip(completeAction(ctx, accountOfPayment(psp), psp, outcome.succeed)),
    injectFault: (fault) => void faults.push({ ...fault, left: fault.times ?? 1 }),
    clearFaults: () => void (faults.length = 0),
    notificationRule: (rule) => bus.addRule(rule),
    clearNotificationRules: () => bus.clearRules(),
    releaseHeld: (order) => bus.releaseHeld(order),
    sendPendingNotifications: () => bus.sendPending(),
    redeliver: (id) => bus.redeliver(id),
    payments: (filter = {}) =>
      [...accounts.values()]
        .filter((account) => !filter.merchantAccount || account.merchantAccount === filter.merchantAccount)
        .flatMap((account) => [...account.payments.values()])
        .filter(
          (p) =>
            (!filter.pspReference || p.pspReference === filter.pspReference) &&
            (!filter.merchantReference || p.merchantReference === filter.merchantReference),
        )
        .map(strip),
    modifications: (filter = {}) =>
      [...accounts.values()]
        .filter((account) => !filter.merchantAccount || account.merchantAccount === filter.merchantAccount)
        .flatMap((account) => [...account.modifications.values()])
        .filter(
          (m) =>
            (!filter.paymentPspReference || m.paymentPspReference === filter.paymentPspReference) &&
            (!filter.type || m.type === filter.type),
        )
        .map(snapshot),
    notifications: (filter) => snapshot(bus.list(filter)),
    requestLog: () => log.map((entry) => ({ ...entry })),
    async idle() {
      for (;;) {
        if (due.size > 0) {
          await Promise.all([...due]);
          continue;
        }
        await bus.idle();
        if (due.size === 0) return;
      }
    },
  };
  for (const input of options.accounts ?? []) fake.addAccount(input);
  return fake;
}
