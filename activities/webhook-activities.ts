import type { Orm } from '../src/db/orm';
import { MerchantRepository } from '../src/merchants/merchant-repository';
import { newId } from '../src/shared/ids';
import { assertPublicHost } from '../src/webhooks/url-policy';
import { signWebhook } from '../src/webhooks/webhook-signature';
import { WebhookRepository } from '../src/webhooks/webhook-repository';
import { signingSecrets } from '../src/webhooks/webhook-secrets';
import type { VaultKeyRing } from '../src/vault/vault-keys';
import { apiTimestamp } from '../src/shared/timestamps';

export interface WebhookActivityDeps {
  orm: Orm;
  fetchImpl?: typeof fetch;
  /** How long a merchant's endpoint has to answer. */
  webhookTimeoutMs?: number;
  /** The card vault's key ring, which opens endpoints' sealed signing secrets. */
  vaultKeys?: Pick<VaultKeyRing, 'keys'>;
  now?: () => Date;
}

export interface DeliverWebhookInput {
  eventId: string;
  endpointId: string;
  attempt: number;
}

export type DeliveryOutcome =
  | { result: 'succeeded'; statusCode: number }
  | { result: 'failed'; statusCode: number | null; retryAfterMs: number | null }
  | { result: 'gone' }
  | { result: 'endpoint_unavailable' };

const EXCERPT_BYTES = 1024;
const MAX_RETRY_AFTER_MS = 24 * 3600_000;

/** Reads at most `limit` bytes of a body, so a huge or endless answer cannot exhaust the worker. */
async function excerpt(response: Response): Promise<string> {
  if (!response.body) return '';
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    while (size < EXCERPT_BYTES) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
      size += value.length;
    }
  } finally {
    await reader.cancel().catch(() => undefined);
  }
  return Buffer.concat(chunks).subarray(0, EXCERPT_BYTES).toString('utf8');
}

/** Retry-After as seconds or an HTTP date, in milliseconds, capped at a day. */
function retryAfterMs(header: string | null, now: Date): number | null {
  if (!header) return null;
  const seconds = Number(header);
  const ms = Number.isFinite(seconds) ? seconds * 1000 : Date.parse(header) - now.getTime();
  return Number.isFinite(ms) && ms > 0 ? Math.min(ms, MAX_RETRY_AFTER_MS) : null;
}

export function createWebhookActivities({
  orm,
  fetchImpl = fetch,
  webhookTimeoutMs = 12_000,
  vaultKeys,
  now = () => new Date(),
}: WebhookActivityDeps) {
  return {
    /**
     * One delivery attempt of an event to an endpoint, signed per Standard Webhooks with a
     * `webhook-id` that stays the same on every retry. Every attempt is recorded; HTTP outcomes are
     * returned, never thrown, so only our own faults (the database) make Temporal retry.
     */
    async deliverWebhook({ eventId, endpointId, attempt }: DeliverWebhookInput): Promise<DeliveryOutcome> {
      const webhooks = new WebhookRepository(orm.em.fork());
      const target = await webhooks.findDeliveryTarget(eventId, endpointId);
      if (!target || target.status !== 'enabled') return { result: 'endpoint_unavailable' };

      const sentAt = now();
      const timestamp = Math.floor(sentAt.getTime() / 1000);
      const body = JSON.stringify({ id: eventId, type: target.type, created_at: apiTimestamp(target.created_at), data: target.data });
      const secrets = await signingSecrets(orm, vaultKeys, endpointId, target, sentAt);

      const started = performance.now();
      let statusCode: number | null = null;
      let responseExcerpt: string | null = null;
      let error: string | null = null;
      let retryAfter: number | null = null;
      try {
        // Live endpoints are checked again at each delivery: DNS may have been pointed inside since the URL was accepted.
        if (target.livemode) await assertPublicHost(new URL(target.url).hostname);
        const response = await fetchImpl(target.url, {
          method: 'POST',
          redirect: 'manual',
          signal: AbortSignal.timeout(webhookTimeoutMs),
          headers: {
            'content-type': 'application/json',
            'user-agent': 'Ledgerflow-Webhooks/1.0',
            'webhook-id': eventId,
            'webhook-timestamp': String(timestamp),
            'webhook-signature': signWebhook(secrets, eventId, timestamp, body),
          },
          body,
        });
        statusCode = response.status;
        responseExcerpt = await excerpt(response);
        retryAfter = response.status === 429 || response.status === 503 ? retryAfterMs(response.headers.get('retry-after'), sentAt) : null;
      } catch (failure) {
        error =
          (failure as Error).name === 'TimeoutError' ? `no answer within ${webhookTimeoutMs} ms` : (failure as Error).message.slice(0, 300);
      }
      const latencyMs = Math.round(performance.now() - started);
      const succeeded = statusCode !== null && statusCode >= 200 && statusCode < 300;
      await webhooks.insertAttempt({
        id: newId('wa'),
        endpointId,
        eventId,
        attempt,
        url: target.url,
        statusCode,
        latencyMs,
        responseExcerpt,
        error,
        succeeded,
      });
      if (succeeded) {
        await webhooks.clearFailing(endpointId);
        return { result: 'succeeded', statusCode: statusCode as number };
      }
      if (statusCode === 410) {
        await webhooks.disableGone(endpointId);
        return { result: 'gone' };
      }
      await webhooks.markFailingSince(endpointId, sentAt);
      return { result: 'failed', statusCode, retryAfterMs: retryAfter };
    },

    /**
     * After the last retry of a schedule that spans about three days: an endpoint with no successful
     * delivery since that schedule began is disabled, and the merchant gets a notice.
     */
    async disableEndpointIfFailingSince({ endpointId, since }: { endpointId: string; since: string }): Promise<{ disabled: boolean }> {
      const em = orm.em.fork();
      const disabled = await new WebhookRepository(em).disableIfNoSuccessSince(endpointId, new Date(since));
      if (!disabled) return { disabled: false };
      await new MerchantRepository(em).setWebhookNotice(
        disabled.merchant_id,
        `Webhook endpoint ${endpointId} (${disabled.url}) was disabled on ${now().toISOString()}: no delivery succeeded since ${since}.`,
      );
      return { disabled: true };
    },
  };
}
