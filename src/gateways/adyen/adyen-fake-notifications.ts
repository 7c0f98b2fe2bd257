import { hmacValidator } from './adyen-library';

/** One NotificationRequestItem as Adyen sends it in its standard webhook (amount.value a number, success 'true'/'false'). */
export interface AdyenNotificationItem {
  eventCode: string;
  success: 'true' | 'false';
  pspReference: string;
  originalReference?: string;
  merchantReference: string;
  merchantAccountCode: string;
  amount: { value: number; currency: string };
  reason: string;
  eventDate: string;
  paymentMethod?: string;
  operations?: string[];
  additionalData: Record<string, string>;
}

export interface FakeNotificationDelivery {
  notificationId: string;
  attempt: number;
  at: number;
  url: string;
  status: number | null;
  /** Adyen counts a delivery as done only when the answer's body is `[accepted]`. */
  accepted: boolean;
  error?: string;
}

export interface FakeNotification {
  id: string;
  merchantAccount: string;
  item: AdyenNotificationItem;
  /** held: kept back by a `hold` rule until `releaseHeld`; dropped: never sent unless redelivered. */
  state: 'pending' | 'held' | 'dropped' | 'sent';
  deliveries: FakeNotificationDelivery[];
  /** A `duplicate` rule sent it twice at once (both copies kept through a pause). */
  duplicated?: boolean;
}

/** What happens to the next notifications matching `eventCode`/`pspReference` (all when unset), `times` times (default 1). */
export interface FakeNotificationRule {
  kind: 'delay' | 'duplicate' | 'drop' | 'hold';
  eventCode?: string;
  /** Matches the item's pspReference or originalReference. */
  pspReference?: string;
  /** Matches the item's merchantReference (our payment id): a rule set before the payment exists at Adyen. */
  merchantReference?: string;
  /** For `delay`. */
  ms?: number;
  times?: number;
}

export interface NotificationDestination {
  merchantAccount: string;
  hmacKey: string;
  notificationUrl?: string;
  notificationAuth?: { username: string; password: string };
}

interface BusOptions {
  now: () => number;
  autoSend: boolean;
  delayMs: number;
  deliveryTimeoutMs: number;
  live: boolean;
  destination(merchantAccount: string): NotificationDestination | undefined;
  later(ms: number, work: () => void): void;
}

/**
 * Signs each item with the library's own HMAC calculation over the account's key, as Adyen's
 * standard webhook carries it in additionalData.hmacSignature, and POSTs one item per request.
 */
export class FakeNotificationBus {
  private readonly stored: FakeNotification[] = [];
  private readonly rules: (FakeNotificationRule & { left: number })[] = [];
  private readonly inFlight = new Set<Promise<unknown>>();
  private sequence = 0;
  /** While Adyen is down (`pause`), notifications wait here and go out on `resume`, as Adyen queues them. */
  private paused = false;
  // A list, not a set: the two copies of a duplicated notification parked by a pause are both sent on resume.
  private readonly parked: FakeNotification[] = [];

  constructor(private readonly options: BusOptions) {}

  emit(
    destination: NotificationDestination,
    fields: Omit<AdyenNotificationItem, 'eventDate' | 'additionalData' | 'merchantAccountCode'> & {
      additionalData?: Record<string, string>;
    },
  ): FakeNotification {
    const item: AdyenNotificationItem = {
      ...fields,
      merchantAccountCode: destination.merchantAccount,
      eventDate: new Date(this.options.now()).toISOString().replace(/\.\d{3}Z$/, '+00:00'),
      additionalData: { ...fields.additionalData },
    };
    item.additionalData.hmacSignature = new hmacValidator().calculateHmac(
      item as unknown as Parameters<hmacValidator['calculateHmac']>[0],
      destination.hmacKey,
    );
    const notification: FakeNotification = {
      id: `ntf_${++this.sequence}`,
      merchantAccount: destination.merchantAccount,
      item,
      state: 'pending',
      deliveries: [],
    };
    this.stored.push(notification);
    if (this.options.autoSend) this.dispatch(notification);
    return notification;
  }

  /** The first rule matching a notification applies; `first` puts this one ahead of the others (a rule for one payment). */
  addRule(rule: FakeNotificationRule, options: { first?: boolean } = {}): void {
    const entry = { ...rule, left: rule.times ?? 1 };
    if (options.first) this.rules.unshift(entry);
    else this.rules.push(entry);
  }

  clearRules(): void {
    this.rules.length = 0;
  }

  list(filter: { eventCode?: string; pspReference?: string; merchantAccount?: string } = {}): FakeNotification[] {
    return this.stored.filter(
      (n) =>
        (!filter.eventCode || n.item.eventCode === filter.eventCode) &&
        (!filter.merchantAccount || n.merchantAccount === filter.merchantAccount) &&
        (!filter.pspReference || n.item.pspReference === filter.pspReference || n.item.originalReference === filter.pspReference),
    );
  }

  /** Sends held notifications, newest first by default, so a test sees them out of order. */
  async releaseHeld(order: 'reverse' | 'fifo' = 'reverse'): Promise<FakeNotificationDelivery[]> {
    const held = this.stored.filter((n) => n.state === 'held');
    if (order === 'reverse') held.reverse();
    const out: FakeNotificationDelivery[] = [];
    for (const notification of held) {
      const delivery = await this.send(notification);
      if (delivery) out.push(delivery);
    }
    return out;
  }

  /** Sends every notification not yet sent (with autoSend off), oldest first. */
  async sendPending(): Promise<FakeNotificationDelivery[]> {
    const out: FakeNotificationDelivery[] = [];
    for (const notification of this.stored.filter((n) => n.state === 'pending')) {
      const delivery = await this.send(notification);
      if (delivery) out.push(delivery);
    }
    return out;
  }

  /** Sends one notification again (or for the first time, dropped or held included), as the Customer Area's "resend" does. */
  redeliver(id: string): Promise<FakeNotificationDelivery | undefined> {
    const notification = this.stored.find((n) => n.id === id);
    if (!notification) return Promise.reject(new Error(`No such notification in the fake: ${id}`));
    return this.send(notification);
  }

  pause(): void {
    this.paused = true;
  }

  /** Sends what waited while paused, oldest first. */
  resume(): void {
    this.paused = false;
    const parked = this.parked.splice(0);
    for (const notification of parked) void this.send(notification).catch(() => undefined);
  }

  async idle(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.all([...this.inFlight]);
  }

  private dispatch(notification: FakeNotification): void {
    const rule = this.rules.find(
      (r) =>
        r.left > 0 &&
        (!r.eventCode || r.eventCode === notification.item.eventCode) &&
        (!r.merchantReference || r.merchantReference === notification.item.merchantReference) &&
        (!r.pspReference || r.pspReference === notification.item.pspReference || r.pspReference === notification.item.originalReference),
    );
    if (rule) rule.left -= 1;
    if (rule?.kind === 'drop') return void (notification.state = 'dropped');
    if (rule?.kind === 'hold') return void (notification.state = 'held');
    const delay = rule?.kind === 'delay' ? (rule.ms ?? 0) : this.options.delayMs;
    const copies = rule?.kind === 'duplicate' ? 2 : 1;
    if (copies === 2) notification.duplicated = true;
    this.options.later(delay, () => {
      for (let i = 0; i < copies; i++) void this.send(notification).catch(() => undefined);
    });
  }

  private send(notification: FakeNotification): Promise<FakeNotificationDelivery | undefined> {
    if (this.paused) {
      notification.state = 'pending';
      this.parked.push(notification);
      return Promise.resolve(undefined);
    }
    notification.state = 'sent';
    const delivery = this.deliver(notification);
    this.inFlight.add(delivery);
    void delivery.finally(() => this.inFlight.delete(delivery));
    return delivery;
  }

  private async deliver(notification: FakeNotification): Promise<FakeNotificationDelivery | undefined> {
    const destination = this.options.destination(notification.merchantAccount);
    if (!destination?.notificationUrl) return undefined;
    const body = JSON.stringify({ live: String(this.options.live), notificationItems: [{ NotificationRequestItem: notification.item }] });
    const base = { notificationId: notification.id, attempt: 0, at: this.options.now(), url: destination.notificationUrl };
    let delivery: FakeNotificationDelivery;
    try {
      const response = await fetch(destination.notificationUrl, {
        method: 'POST',
        headers: {
          'Content-Type': 'application/json',
          'User-Agent': 'Adyen HttpClient 1.0',
          ...(destination.notificationAuth ? { Authorization: basicAuth(destination.notificationAuth) } : {}),
        },
        body,
        signal: AbortSignal.timeout(this.options.deliveryTimeoutMs),
      });
      const text = await response.text();
      delivery = { ...base, status: response.status, accepted: response.ok && text.trim() === '[accepted]' };
    } catch (error) {
      delivery = { ...base, status: null, accepted: false, error: error instanceof Error ? error.message : String(error) };
    }
    delivery.attempt = notification.deliveries.length + 1;
    notification.deliveries.push(delivery);
    return delivery;
  }
}

function basicAuth({ username, password }: { username: string; password: string }): string {
  return `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`;
}
