import { Client } from 'pg';
import type { Logger } from '../logger';

export interface ListenClientOptions {
  url: string;
  channel: string;
  logger: Logger;
  /** Names the listener in log lines. */
  name: string;
  onNotification(payload: string | undefined): void;
  /** The connection was lost and is back: notifications in between were missed. */
  onReconnected?(): void;
}

const RECONNECT_DELAY_MS = 1_000;

/**
 * One connection that LISTENs on a channel and keeps doing so: when PostgreSQL restarts or drops
 * the connection, it reconnects every second until it is back. A lost connection is only logged;
 * an 'error' event on a pg Client nobody listens to would take the process down.
 */
export class ListenClient {
  private client?: Client;
  private stopped = false;

  constructor(private readonly options: ListenClientOptions) {}

  /** Connects and listens; rejects when the first connection fails. */
  async start(): Promise<void> {
    await this.connect(false);
  }

  private async connect(reconnecting: boolean): Promise<void> {
    const client = new Client({ connectionString: this.options.url });
    // Only an established connection reconnects from here; a failed connect rejects, and its caller retries.
    const onLost = (error?: Error) => {
      if (this.client !== client) return;
      this.client = undefined;
      client.end().catch(() => undefined);
      if (this.stopped) return;
      this.options.logger.warn({ err: error, listener: this.options.name }, 'LISTEN connection lost; reconnecting');
      this.retryLater();
    };
    client.on('notification', (message) => this.options.onNotification(message.payload));
    client.on('error', onLost);
    // A connection closed without an error message (the server went away) ends without 'error'.
    client.on('end', () => onLost());
    try {
      await client.connect();
      await client.query(`listen ${this.options.channel}`);
    } catch (error) {
      client.end().catch(() => undefined);
      throw error;
    }
    if (this.stopped) {
      await client.end().catch(() => undefined);
      return;
    }
    this.client = client;
    if (reconnecting) this.options.onReconnected?.();
  }

  private retryLater(): void {
    if (this.stopped) return;
    setTimeout(() => void this.connect(true).catch(() => this.retryLater()), RECONNECT_DELAY_MS).unref();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.client?.end().catch(() => undefined);
  }
}
