import type { Logger } from '../logger';
import { ListenClient } from '../db/listen-client';

/** The channel a token revocation is announced on, with the id revoked (an access token, a family or a client) as payload. */
export const OAUTH_TOKEN_REVOKED_CHANNEL = 'oauth_token_revoked';

/**
 * Listens for OAuth token revocations, as KeyRevocationListener does for API keys: every API process drops
 * the revoked tokens from its cache the moment the revocation commits.
 */
export class OAuthRevocationListener {
  private readonly listener: ListenClient;

  constructor(options: { url: string; logger: Logger; onRevoked(id: string): void; onReconnected(): void }) {
    this.listener = new ListenClient({
      url: options.url,
      logger: options.logger,
      channel: OAUTH_TOKEN_REVOKED_CHANNEL,
      name: 'OAuth token revocations',
      onNotification: (id) => {
        if (id) options.onRevoked(id);
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
