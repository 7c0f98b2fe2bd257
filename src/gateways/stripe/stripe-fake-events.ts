import Stripe from 'stripe';
import { stripeId, type FakeEvent } from './stripe-fake-objects';

/** Where an account's events go: its webhook endpoint and signing secret, and the event types it subscribed to. */
export interface EventDestination {
  id: string;
  livemode: boolean;
  webhookUrl?: string;
  webhookSecret?: string;
  /** Event types the endpoint listens to; all when absent (Stripe's `enabled_events: ['*']`). */
  enabledEvents?: string[];
}

export interface FakeDelivery {
  eventId: string;
  type: string;
  account: string;
  url: string;
  /** The endpoint's status code, or null when the request failed (`error` says how). */
  status: number | null;
  error?: string;
  /** 1 for the first send, then 2, 3... for redeliveries. */
  attempt: number;
  at: number;
}

interface StoredEvent {
  event: FakeEvent;
  account: string;
  sent: boolean;
}

/**
 * Events as Stripe makes and sends them: each a snapshot of its object at the time, signed with the
 * endpoint's secret in `Stripe-Signature`, sent one after another per account. Stripe's automatic
 * retries of failed deliveries are not modelled: a test resends with `send`.
 */
export class FakeEventBus {
  private readonly stored = new Map<string, StoredEvent>();
  private readonly log: FakeDelivery[] = [];
  private readonly queues = new Map<string, Promise<unknown>>();
  private readonly inFlight = new Set<Promise<unknown>>();

  constructor(
    private readonly options: {
      autoSend: boolean;
      apiVersion: string;
      now: () => number;
      destination: (accountId: string) => EventDestination | undefined;
      deliveryTimeoutMs: number;
    },
  ) {}

  emit(
    account: EventDestination,
    type: string,
    object: unknown,
    request: { id: string | null; idempotencyKey: string | null } = { id: null, idempotencyKey: null },
    previousAttributes?: Record<string, unknown>,
  ): FakeEvent {
    const event: FakeEvent = {
      id: stripeId('evt'),
      object: 'event',
      api_version: this.options.apiVersion,
      created: Math.floor(this.options.now() / 1000),
      data: previousAttributes
        ? { object: structuredClone(object), previous_attributes: previousAttributes }
        : { object: structuredClone(object) },
      livemode: account.livemode,
      pending_webhooks: this.subscribed(account, type) ? 1 : 0,
      request: { id: request.id, idempotency_key: request.idempotencyKey },
      type,
    };
    this.stored.set(event.id, { event, account: account.id, sent: false });
    // A delivery's failure is recorded in the delivery log; nothing waits on this promise.
    if (this.options.autoSend) this.send(event.id).catch(() => undefined);
    return event;
  }

  events(filter: { type?: string; account?: string } = {}): FakeEvent[] {
    return [...this.stored.values()]
      .filter(
        (stored) =>
          (filter.type === undefined || stored.event.type === filter.type) && (!filter.account || stored.account === filter.account),
      )
      .map((stored) => stored.event);
  }

  event(id: string): { event: FakeEvent; account: string } | undefined {
    return this.stored.get(id);
  }

  deliveries(eventId?: string): FakeDelivery[] {
    return this.log.filter((delivery) => eventId === undefined || delivery.eventId === eventId);
  }

  /** Sends every event not yet sent (with `autoSendEvents: false`), in the order they happened. */
  async sendPending(): Promise<FakeDelivery[]> {
    const pending = [...this.stored.values()].filter((stored) => !stored.sent).map((stored) => this.send(stored.event.id));
    return (await Promise.all(pending)).filter((delivery): delivery is FakeDelivery => delivery !== undefined);
  }

  /** Sends (or sends again) one event to its account's endpoint; undefined when the account has none or does not listen to the type. */
  send(eventId: string): Promise<FakeDelivery | undefined> {
    const stored = this.stored.get(eventId);
    if (!stored) return Promise.reject(new Error(`No such event: ${eventId}`));
    stored.sent = true;
    const previous = this.queues.get(stored.account) ?? Promise.resolve();
    const delivery = previous.then(() => this.deliver(stored));
    const settled = delivery.catch(() => undefined);
    this.queues.set(stored.account, settled);
    this.inFlight.add(settled);
    void settled.finally(() => this.inFlight.delete(settled));
    return delivery;
  }

  /** Resolves once every delivery started so far has finished. */
  async idle(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.all([...this.inFlight]);
  }

  private subscribed(account: EventDestination, type: string): boolean {
    return Boolean(account.webhookUrl && account.webhookSecret) && (!account.enabledEvents || account.enabledEvents.includes(type));
  }

  private async deliver(stored: StoredEvent): Promise<FakeDelivery | undefined> {
    const account = this.options.destination(stored.account);
    if (!account || !this.subscribed(account, stored.event.type)) return undefined;
    const url = account.webhookUrl as string;
    const payload = JSON.stringify(stored.event, null, 2);
    const signature = Stripe.webhooks.generateTestHeaderString({
      payload,
      secret: account.webhookSecret as string,
      timestamp: Math.floor(this.options.now() / 1000),
    });
    const attempt = this.log.filter((delivery) => delivery.eventId === stored.event.id).length + 1;
    const base = { eventId: stored.event.id, type: stored.event.type, account: stored.account, url, attempt, at: this.options.now() };
    let delivery: FakeDelivery;
    try {
      const response = await fetch(url, {
        method: 'POST',
        headers: {
          'Content-Type': 'application/json; charset=utf-8',
          'User-Agent': 'Stripe/1.0 (+https://stripe.com/docs/webhooks)',
          'Stripe-Signature': signature,
        },
        body: payload,
        signal: AbortSignal.timeout(this.options.deliveryTimeoutMs),
      });
      await response.arrayBuffer();
      delivery = { ...base, status: response.status };
    } catch (error) {
      delivery = { ...base, status: null, error: error instanceof Error ? error.message : String(error) };
    }
    this.log.push(delivery);
    return delivery;
  }
}
