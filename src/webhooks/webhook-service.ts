import type { MikroORM } from '@mikro-orm/postgresql';
import type { Client } from '@temporalio/client';
import type { EventRecord } from '../events/event-record';
import { EventRepository } from '../events/event-repository';
import { sqlFor } from '../db/sql';
import type { Merchant } from '../merchants/merchant-record';
import { apiErrors } from '../shared/api-error';
import { newId, randomBase62 } from '../shared/ids';
import { validateEndpointUrl } from './url-policy';
import { startDelivery } from './webhook-dispatcher';
import type { WebhookAttempt, WebhookEndpoint } from './webhook-record';
import { WebhookRepository } from './webhook-repository';
import { newWebhookSecret } from './webhook-signature';
import { apiTimestamp } from '../shared/timestamps';
import type { Logger } from '../logger';
import { requireSecretKeys, sealAllInClear, sealEndpointInClear, sealWebhookSecret, type SecretKeys } from './webhook-secrets';

/** How long a rotated-out secret keeps signing beside the new one, so merchants can switch without losing events. */
const ROTATION_OVERLAP_MS = 24 * 3600_000;

const iso = apiTimestamp;

export function renderEndpoint(endpoint: WebhookEndpoint, secret?: string) {
  return {
    id: endpoint.id,
    object: 'webhook_endpoint' as const,
    url: endpoint.url,
    description: endpoint.description ?? null,
    enabled_events: endpoint.enabledEvents,
    status: endpoint.status,
    disabled_reason: endpoint.disabledReason ?? null,
    created_at: iso(endpoint.createdAt),
    ...(secret ? { secret } : {}),
  };
}

export function renderEvent(event: EventRecord) {
  return { id: event.id, object: 'event' as const, type: event.type, created_at: iso(event.createdAt), data: event.data };
}

function renderAttempt(attempt: WebhookAttempt) {
  return {
    id: attempt.id,
    object: 'webhook_attempt' as const,
    event_id: attempt.eventId,
    webhook_id: attempt.webhookId,
    attempt: attempt.attempt,
    url: attempt.url,
    status_code: attempt.statusCode ?? null,
    latency_ms: attempt.latencyMs,
    response_excerpt: attempt.responseExcerpt ?? null,
    error: attempt.error ?? null,
    succeeded: attempt.succeeded,
    created_at: iso(attempt.createdAt),
  };
}

/** Merchants' webhook endpoints and the event log they read and replay. */
export class WebhookService {
  /**
   * `vaultKeys`: the card vault's key ring, which seals signing secrets (absent: endpoints cannot be
   * created or rotated). `retryTimeScale` (tests and demos) shortens the waits between delivery attempts.
   */
  constructor(
    private readonly deps: { orm: MikroORM; temporal: Client; taskQueue: string; vaultKeys?: SecretKeys; retryTimeScale?: number },
  ) {}

  /**
   * A new endpoint, enabled, with its signing secret shown this once and stored only sealed.
   * @throws 400 url_invalid, 503 webhook_secrets_unavailable
   */
  async createEndpoint(merchant: Merchant, body: { url: string; enabled_events: string[]; description?: string }) {
    const url = await validateEndpointUrl(body.url, merchant.livemode);
    const keys = requireSecretKeys(this.deps.vaultKeys);
    const id = newId('we');
    const secret = newWebhookSecret();
    const sealed = sealWebhookSecret(keys, id, secret);
    const endpoint: WebhookEndpoint = {
      id,
      merchantId: merchant.id,
      url: url.toString(),
      description: body.description ?? null,
      enabledEvents: body.enabled_events,
      status: 'enabled',
      secretKeyId: sealed.keyId,
      secretCiphertext: sealed.ciphertext,
      createdAt: new Date(),
      updatedAt: new Date(),
    };
    await this.repository().insertEndpoint(endpoint);
    return renderEndpoint(endpoint, secret);
  }

  /**
   * One of the merchant's endpoints, without its secret.
   * @throws 404 resource_missing
   */
  async getEndpoint(merchant: Merchant, id: string) {
    return renderEndpoint(await this.findEndpoint(merchant, id));
  }

  /**
   * The merchant's endpoints, newest first.
   * @throws 400 resource_missing (starting_after)
   */
  async listEndpoints(merchant: Merchant, limit: number, startingAfter?: string) {
    const webhooks = this.repository();
    const cursor = startingAfter ? await webhooks.findEndpoint(merchant.id, startingAfter) : undefined;
    if (startingAfter && !cursor) throw apiErrors.noSuch('webhook endpoint', startingAfter);
    const page = await webhooks.listEndpoints(merchant.id, limit, startingAfter);
    return { object: 'list', data: page.data.map((endpoint) => renderEndpoint(endpoint)), has_more: page.hasMore };
  }

  /**
   * Changes the URL, events or description, or disables / enables the endpoint (enabling forgets past failures).
   * @throws 404 resource_missing, 400 url_invalid
   */
  async updateEndpoint(
    merchant: Merchant,
    id: string,
    body: { url?: string; enabled_events?: string[]; description?: string | null; disabled?: boolean },
  ) {
    const endpoint = await this.findEndpoint(merchant, id);
    const changes: Partial<WebhookEndpoint> = { updatedAt: new Date() };
    if (body.url !== undefined) changes.url = (await validateEndpointUrl(body.url, merchant.livemode)).toString();
    if (body.enabled_events !== undefined) changes.enabledEvents = body.enabled_events;
    if (body.description !== undefined) changes.description = body.description;
    if (body.disabled !== undefined) {
      changes.status = body.disabled ? 'disabled' : 'enabled';
      changes.disabledReason = body.disabled ? 'Disabled by the merchant' : null;
      if (!body.disabled) changes.failingSince = null;
    }
    await this.repository().updateEndpoint(endpoint.id, changes);
    return renderEndpoint({ ...endpoint, ...changes });
  }

  /**
   * Deletes the endpoint: nothing more is delivered to it.
   * @throws 404 resource_missing
   */
  async deleteEndpoint(merchant: Merchant, id: string) {
    const endpoint = await this.findEndpoint(merchant, id);
    await this.repository().markEndpointDeleted(endpoint.id);
    return { id: endpoint.id, object: 'webhook_endpoint', deleted: true };
  }

  /**
   * A new secret, shown once and stored only sealed; the old one keeps signing beside it for 24 hours.
   * @throws 404 resource_missing, 503 webhook_secrets_unavailable
   */
  async rotateSecret(merchant: Merchant, id: string) {
    const endpoint = await this.findEndpoint(merchant, id);
    const keys = requireSecretKeys(this.deps.vaultKeys);
    // An endpoint from before sealing is sealed first, so the secret it rotates out moves on sealed.
    await sealEndpointInClear(this.deps.orm, keys, endpoint.id);
    const secret = newWebhookSecret();
    const updatedAt = new Date();
    await this.repository().rotateSealedSecret(
      endpoint.id,
      sealWebhookSecret(keys, endpoint.id, secret),
      new Date(updatedAt.getTime() + ROTATION_OVERLAP_MS),
      updatedAt,
    );
    return renderEndpoint({ ...endpoint, updatedAt }, secret);
  }

  /** Seals the signing secrets endpoints created before sealing still hold in clear (at API start); answers how many it sealed. */
  async sealSecretsInClear(logger: Logger): Promise<number> {
    return sealAllInClear(this.deps.orm, this.deps.vaultKeys, logger);
  }

  /**
   * Every delivery attempt to one of the merchant's endpoints, newest first.
   * @throws 404 resource_missing, 400 resource_missing (starting_after)
   */
  async listAttempts(merchant: Merchant, id: string, limit: number, startingAfter?: string) {
    const endpoint = await this.findEndpoint(merchant, id);
    const webhooks = this.repository();
    const cursor = startingAfter ? await webhooks.findAttempt(endpoint.id, startingAfter) : undefined;
    if (startingAfter && !cursor) throw apiErrors.noSuch('delivery attempt', startingAfter);
    const page = await webhooks.listAttempts(endpoint.id, limit, startingAfter);
    return { object: 'list', data: page.data.map(renderAttempt), has_more: page.hasMore };
  }

  /**
   * The merchant's events, newest first, optionally of one type.
   * @throws 400 resource_missing (starting_after)
   */
  async listEvents(merchant: Merchant, query: { type?: string; limit: number; startingAfter?: string }) {
    const events = this.events();
    const cursor = query.startingAfter ? await events.findForMerchant(merchant.id, query.startingAfter) : undefined;
    if (query.startingAfter && !cursor) throw apiErrors.noSuch('event', query.startingAfter);
    const page = await events.listForMerchant(merchant.id, query);
    return { object: 'list', data: page.data.map(renderEvent), has_more: page.hasMore };
  }

  /**
   * One of the merchant's events.
   * @throws 404 resource_missing
   */
  async getEvent(merchant: Merchant, id: string) {
    return renderEvent(await this.findEvent(merchant, id));
  }

  /**
   * Sends an event again, with its original webhook-id, to one endpoint or every endpoint subscribed to it.
   * @throws 404 resource_missing, 503 engine_unavailable
   */
  async redeliver(merchant: Merchant, eventId: string, endpointId?: string) {
    const event = await this.findEvent(merchant, eventId);
    const endpoints = endpointId
      ? [await this.findEndpoint(merchant, endpointId)]
      : (await this.repository().listEnabledEndpoints(merchant.id)).filter(
          (endpoint) => endpoint.enabledEvents.includes('*') || endpoint.enabledEvents.includes(event.type),
        );
    const workflows: string[] = [];
    for (const endpoint of endpoints) {
      workflows.push(
        await startDelivery(
          this.deps.temporal,
          this.deps.taskQueue,
          { eventId: event.id, merchantId: merchant.id, eventType: event.type, endpointId: endpoint.id },
          { redelivery: `redeliver-${randomBase62(8)}`, retryTimeScale: this.deps.retryTimeScale },
        ),
      );
    }
    return { object: 'redelivery', event_id: event.id, endpoints: endpoints.map((endpoint) => endpoint.id), workflows };
  }

  private async findEndpoint(merchant: Merchant, id: string): Promise<WebhookEndpoint> {
    const endpoint = await this.repository().findEndpoint(merchant.id, id);
    if (!endpoint) throw apiErrors.notFound('Webhook endpoint');
    return endpoint;
  }

  private async findEvent(merchant: Merchant, id: string): Promise<EventRecord> {
    const event = await this.events().findForMerchant(merchant.id, id);
    if (!event) throw apiErrors.notFound('Event');
    return event;
  }

  private repository(): WebhookRepository {
    return new WebhookRepository(this.deps.orm.em.fork());
  }

  private events(): EventRepository {
    return new EventRepository(sqlFor(this.deps.orm.em.fork()));
  }
}
