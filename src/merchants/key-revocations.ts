import { Client } from 'pg';
import type { Logger } from '../logger';
import type { Sql } from '../db/sql';

/** The channel a key's revocation is announced on, with the key id as payload. */
export const API_KEY_REVOKED_CHANNEL = 'api_key_revoked';

/** Queued in the revoking transaction: PostgreSQL delivers it at commit, to every API process listening. */
export async function notifyKeyRevoked(sql: Sql, keyId: string): Promise<void> {
  await sql.query(`select pg_notify('${API_KEY_REVOKED_CHANNEL}', ?)`, [keyId]);
}

export interface KeyRevocationListenerOptions {
  url: string;
  logger: Logger;
  /** A key was revoked (in any process). */
  onRevoked(keyId: string): void;
  /** The connection was lost and is back: revocations in between may have been missed. */
  onReconnected(): void;
}

/**
 * Listens for key revocations on one connection, so every API process drops a revoked key from its
 * authentication cache the moment the revocation commits, instead of trusting it until the cache expires.
 */
export class KeyRevocationListener {
  private client?: Client;
  private stopped = false;

  constructor(private readonly options: KeyRevocationListenerOptions) {}

  async start(reconnecting = false): Promise<void> {
    const client = new Client({ connectionString: this.options.url });
    client.on('notification', (message) => {
      if (message.payload) this.options.onRevoked(message.payload);
    });
    client.on('error', (error) => {
      this.options.logger.warn({ err: error }, 'API key revocation listener lost its connection; reconnecting');
      this.client = undefined;
      this.retryLater();
    });
    await client.connect();
    await client.query(`listen ${API_KEY_REVOKED_CHANNEL}`);
    this.client = client;
    if (reconnecting) this.options.onReconnected();
  }

  private retryLater(): void {
    if (this.stopped) return;
    setTimeout(() => void this.start(true).catch(() => this.retryLater()), 1_000).unref();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.client?.end().catch(() => undefined);
  }
}
