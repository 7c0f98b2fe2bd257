import type { Logger } from '../logger';
import { ListenClient } from '../db/listen-client';

/** The channel a key's revocation is announced on (ApiKeyRepository.notifyRevoked), with the key id as payload. */
export const API_KEY_REVOKED_CHANNEL = 'api_key_revoked';

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
  private readonly listener: ListenClient;

  constructor(options: KeyRevocationListenerOptions) {
    this.listener = new ListenClient({
      url: options.url,
      logger: options.logger,
      channel: API_KEY_REVOKED_CHANNEL,
      name: 'API key revocations',
      onNotification: (keyId) => {
        if (keyId) options.onRevoked(keyId);
      },
      onReconnected: () => options.onReconnected(),
    });
  }

  async start(): Promise<void> {
    await this.listener.start();
  }

  async stop(): Promise<void> {
    await this.listener.stop();
  }
}
