import type { MikroORM } from '@mikro-orm/postgresql';
import type { Client } from '@temporalio/client';
import { listNewestFirst } from '../db/pagination';
import { EventEntity, type EventRecord } from '../events/event-entity';
import type { Merchant } from '../merchants/merchant-entities';
import { ApiError } from '../shared/api-error';
import { newId, randomBase62 } from '../shared/ids';
import { validateEndpointUrl } from './url-policy';
import { startDelivery } from './webhook-dispatcher';
import { WebhookAttemptEntity, WebhookEndpointEntity, type WebhookAttempt, type WebhookEndpoint } from './webhook-entities';
import { newWebhookSecret } from './webhook-signature';
import { apiTimestamp } from '../shared/timestamps';

/** How long a rotated-out secret keeps signing beside the new one, so merchants can switch without losing events. */
const ROTATION_OVERLAP_MS = 24 * 3600_000;

const iso = apiTimestamp;

export function renderEndpoint(endpoint: WebhookEndpoint, secret?: string) {
  return {
    id: endpoint.id, object: 'webhook_endpoint' as const, url: endpoint.url, description: endpoint.description ?? null,
    enabled_events: endpoint.enabledEvents, status: endpoint.status, disabled_reason: endpoint.disabledReason ?? null, created_at: iso(endpoint.createdAt),
    ...(secret ? { secret } : {}),
  };
}

export function renderEvent(event: EventRecord) {
  return { id: event.id, object: 'event' as const, type: event.type, created_at: iso(event.createdAt), data: event.data };
}

function renderAttempt(attempt: WebhookAttempt) {
  return {
    id: attempt.id, object: 'webhook_attempt' as const, event_id: attempt.eventId, webhook_id: attempt.webhookId, attempt: attempt.attempt, url: attempt.url,
    status_code: attempt.statusCode ?? null, latency_ms: attempt.latencyMs, response_excerpt: attempt.responseExcerpt ?? null, error: attempt.error ?? null,
    succeeded: attempt.succeeded, created_at: iso(attempt.createdAt),
  };
}

/** Merchants' webhook endpoints and the event log they read and replay. */
export class WebhookService {
  /** `retryTimeScale` (tests and demos) shortens the waits between delivery attempts. */
  constructor(private readonly deps: { orm: MikroORM; temporal: Client; taskQueue: string; retryTimeScale?: number }) {}

  async createEndpoint(merchant: Merchant, body: { url: string; enabled_events: string[]; description?: string }) {
    const url = await validateEndpointUrl(body.url, merchant.livemode);
    const secret = newWebhookSecret();
    const endpoint: WebhookEndpoint = {
      id: newId('we'), merchantId: merchant.id, url: url.toString(), description: body.description ?? null, enabledEvents: body.enabled_events,
      status: 'enabled', secret, createdAt: new Date(), updatedAt: new Date(),
    };
    await this.deps.orm.em.fork().insert(WebhookEndpointEntity, endpoint);
    return renderEndpoint(endpoint, secret);
  }

  async getEndpoint(merchant: Merchant, id: string) {
    return renderEndpoint(await this.findEndpoint(merchant, id));
  }

  async listEndpoints(merchant: Merchant, limit: number, startingAfter?: string) {
    const em = this.deps.orm.em.fork();
    const cursor = startingAfter ? await em.findOne(WebhookEndpointEntity, { id: startingAfter, merchantId: merchant.id, deletedAt: null }, { disableIdentityMap: true }) : undefined;
    if (startingAfter && !cursor) throw ApiError.badRequest(`No such webhook endpoint: ${startingAfter}`, 'resource_missing', 'starting_after');
    const page = await listNewestFirst<WebhookEndpoint>(em, WebhookEndpointEntity, { merchantId: merchant.id, deletedAt: null }, limit, cursor ?? undefined);
    return { object: 'list', data: page.data.map((endpoint) => renderEndpoint(endpoint)), has_more: page.hasMore };
  }

  async updateEndpoint(merchant: Merchant, id: string, body: { url?: string; enabled_events?: string[]; description?: string | null; disabled?: boolean }) {
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
    await this.deps.orm.em.fork().nativeUpdate(WebhookEndpointEntity, { id: endpoint.id }, changes);
    return renderEndpoint({ ...endpoint, ...changes });
  }

  async deleteEndpoint(merchant: Merchant, id: string) {
    const endpoint = await this.findEndpoint(merchant, id);
    await this.deps.orm.em.fork().nativeUpdate(WebhookEndpointEntity, { id: endpoint.id }, { deletedAt: new Date(), status: 'disabled', updatedAt: new Date() });
    return { id: endpoint.id, object: 'webhook_endpoint', deleted: true };
  }

  /** A new secret, shown once; the old one keeps signing beside it for 24 hours. */
  async rotateSecret(merchant: Merchant, id: string) {
    const endpoint = await this.findEndpoint(merchant, id);
    const secret = newWebhookSecret();
    const changes = { secret, previousSecret: endpoint.secret, previousSecretExpiresAt: new Date(Date.now() + ROTATION_OVERLAP_MS), updatedAt: new Date() };
    await this.deps.orm.em.fork().nativeUpdate(WebhookEndpointEntity, { id: endpoint.id }, changes);
    return renderEndpoint({ ...endpoint, ...changes }, secret);
  }

  async listAttempts(merchant: Merchant, id: string, limit: number, startingAfter?: string) {
    const endpoint = await this.findEndpoint(merchant, id);
    const em = this.deps.orm.em.fork();
    const cursor = startingAfter ? await em.findOne(WebhookAttemptEntity, { id: startingAfter, endpointId: endpoint.id }) : undefined;
    if (startingAfter && !cursor) throw ApiError.badRequest(`No such delivery attempt: ${startingAfter}`, 'resource_missing', 'starting_after');
    const page = await listNewestFirst<WebhookAttempt>(em, WebhookAttemptEntity, { endpointId: endpoint.id }, limit, cursor ?? undefined);
    return { object: 'list', data: page.data.map(renderAttempt), has_more: page.hasMore };
  }

  async listEvents(merchant: Merchant, query: { type?: string; limit: number; startingAfter?: string }) {
    const em = this.deps.orm.em.fork();
    const cursor = query.startingAfter ? await em.findOne(EventEntity, { id: query.startingAfter, merchantId: merchant.id }, { disableIdentityMap: true }) : undefined;
    if (query.startingAfter && !cursor) throw ApiError.badRequest(`No such event: ${query.startingAfter}`, 'resource_missing', 'starting_after');
    const where = query.type ? { merchantId: merchant.id, type: query.type } : { merchantId: merchant.id };
    const page = await listNewestFirst<EventRecord>(em, EventEntity, where, query.limit, cursor ?? undefined);
    return { object: 'list', data: page.data.map(renderEvent), has_more: page.hasMore };
  }

  async getEvent(merchant: Merchant, id: string) {
    return renderEvent(await this.findEvent(merchant, id));
  }

  /** Sends an event again, with its original webhook-id, to one endpoint or every endpoint subscribed to it. */
  async redeliver(merchant: Merchant, eventId: string, endpointId?: string) {
    const event = await this.findEvent(merchant, eventId);
    const em = this.deps.orm.em.fork();
    const endpoints = endpointId
      ? [await this.findEndpoint(merchant, endpointId)]
      : (await em.find(WebhookEndpointEntity, { merchantId: merchant.id, deletedAt: null, status: 'enabled' }))
        .filter((endpoint) => endpoint.enabledEvents.includes('*') || endpoint.enabledEvents.includes(event.type));
    const workflows: string[] = [];
    for (const endpoint of endpoints) {
      workflows.push(await startDelivery(this.deps.temporal, this.deps.taskQueue,
        { eventId: event.id, merchantId: merchant.id, eventType: event.type, endpointId: endpoint.id },
        { redelivery: `redeliver-${randomBase62(8)}`, retryTimeScale: this.deps.retryTimeScale }));
    }
    return { object: 'redelivery', event_id: event.id, endpoints: endpoints.map((endpoint) => endpoint.id), workflows };
  }

  private async findEndpoint(merchant: Merchant, id: string): Promise<WebhookEndpoint> {
    const endpoint = await this.deps.orm.em.fork().findOne(WebhookEndpointEntity, { id, merchantId: merchant.id, deletedAt: null }, { disableIdentityMap: true });
    if (!endpoint) throw ApiError.notFound('Webhook endpoint not found', 'resource_missing', 'id');
    return endpoint;
  }

  private async findEvent(merchant: Merchant, id: string): Promise<EventRecord> {
    const event = await this.deps.orm.em.fork().findOne(EventEntity, { id, merchantId: merchant.id }, { disableIdentityMap: true });
    if (!event) throw ApiError.notFound('Event not found', 'resource_missing', 'id');
    return event;
  }
}
