import type { AdyenFake } from '../src/gateways/adyen/adyen-fake';

// Adyen retries a notification not answered [accepted] for days, backing off; a thousand times faster here, capped.
const REDELIVERY_FIRST_MS = 1_000;
const REDELIVERY_MAX_MS = 10_000;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Adyen's retrying of notifications: the fake sends each once, so this resends every sent notification
 * whose deliveries all failed, backing off per notification, until stopped. Nothing is resent while
 * the fake is down (its queued notifications go out when it is back).
 */
export class AdyenRedelivery {
  count = 0;
  /** Per notification: the deliveries it had when last resent (no more now means that resend is in flight) and how often. */
  private readonly resent = new Map<string, { deliveries: number; tries: number }>();
  private stopped = false;
  private readonly running: Promise<void>;

  constructor(private readonly fake: AdyenFake) {
    this.running = this.loop();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.running;
  }

  private async loop(): Promise<void> {
    while (!this.stopped) {
      await sleep(500);
      if (this.fake.down) continue;
      const now = Date.now();
      for (const notification of this.fake.notifications()) {
        if (notification.state !== 'sent' || notification.deliveries.length === 0) continue;
        if (notification.deliveries.some((delivery) => delivery.accepted)) continue;
        const count = notification.deliveries.length;
        const last = notification.deliveries[count - 1].at;
        const tried = this.resent.get(notification.id) ?? { deliveries: 0, tries: 0 };
        if (count <= tried.deliveries || now < last + Math.min(REDELIVERY_FIRST_MS * 2 ** tried.tries, REDELIVERY_MAX_MS)) continue;
        this.resent.set(notification.id, { deliveries: count, tries: tried.tries + 1 });
        this.count++;
        void this.fake.redeliver(notification.id).catch(() => undefined);
      }
    }
  }
}
