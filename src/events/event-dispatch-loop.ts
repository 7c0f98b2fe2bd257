import { ListenClient } from '../db/listen-client';
import type { Logger } from '../logger';
import { dependencyOutage } from '../api/transient-failures';
import { EVENT_RECORDED_CHANNEL } from './event-repository';

export interface EventDispatchLoopOptions {
  databaseUrl: string;
  logger: Logger;
  /** For its listener's and its failures' log lines: `webhook dispatcher`. */
  name: string;
  /** A sweep for what a lost notification left behind. */
  sweepMs: number;
  /** One pass: takes what is waiting off its outbox and starts the workflows for it. */
  pass: () => Promise<void>;
}

/**
 * Runs a dispatcher's passes: at once when an event is recorded (its NOTIFY), on a sweep, and once more after a
 * reconnect; never two passes at a time, and one more right after a pass that a kick arrived during.
 */
export class EventDispatchLoop {
  private listener?: ListenClient;
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;
  private again = false;
  private stopped = false;

  constructor(private readonly options: EventDispatchLoopOptions) {}

  async start(): Promise<void> {
    this.stopped = false;
    // While the listener reconnects the sweeps still dispatch; back, it sweeps at once for what it missed.
    this.listener = new ListenClient({
      url: this.options.databaseUrl,
      channel: EVENT_RECORDED_CHANNEL,
      logger: this.options.logger,
      name: this.options.name,
      onNotification: () => this.kick(),
      onReconnected: () => this.kick(),
    });
    await this.listener.start();
    this.timer = setInterval(() => this.kick(), this.options.sweepMs);
    this.kick();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    await this.running;
    await this.listener?.stop();
  }

  /** Runs a pass now, or right after the one under way. */
  kick(): void {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = this.options
      .pass()
      .catch((error) =>
        this.options.logger[dependencyOutage(error) ? 'warn' : 'error']({ err: error }, `${this.options.name}: dispatch failed`),
      )
      .finally(() => {
        this.running = undefined;
        if (this.again) {
          this.again = false;
          this.kick();
        }
      });
  }
}
