import { z } from 'zod';
import { HTTP_URL_PATTERN } from '../api/documented-formats';
import { EVENT_TYPES } from './event-types';

const enabledEvents = z
  .array(z.enum([...EVENT_TYPES, '*']))
  .min(1)
  .max(EVENT_TYPES.length + 1)
  .describe('The event types to receive, or ["*"] for all.');

export const createEndpointBody = z.strictObject({
  url: z
    .string()
    .min(1)
    .max(2048)
    .meta({ format: 'uri', pattern: HTTP_URL_PATTERN })
    .describe('Where events are POSTed. Live mode: https and a public address; test mode also allows http and localhost.'),
  enabled_events: enabledEvents,
  description: z.string().max(500).optional(),
});

export const updateEndpointBody = z.strictObject({
  url: z.string().min(1).max(2048).meta({ format: 'uri', pattern: HTTP_URL_PATTERN }).optional(),
  enabled_events: enabledEvents.optional(),
  description: z.string().max(500).nullable().optional(),
  disabled: z.boolean().optional().describe('true disables the endpoint; false enables it again.'),
});

export const endpointIdParams = z.strictObject({ id: z.string().max(255) });
export const pageQuery = z.strictObject({
  limit: z.coerce.number().int().min(1).max(100).default(10),
  starting_after: z.string().max(255).optional(),
});
export const listEventsQuery = pageQuery.extend({ type: z.enum(EVENT_TYPES).optional() });
export const redeliverBody = z.strictObject({
  endpoint: z.string().max(255).optional().describe('Only this endpoint; by default every endpoint subscribed to the event.'),
});

export const endpointSchema = z.object({
  id: z.string(),
  object: z.literal('webhook_endpoint'),
  url: z.string(),
  description: z.string().nullable(),
  enabled_events: z.array(z.string()),
  status: z.enum(['enabled', 'disabled']),
  disabled_reason: z.string().nullable(),
  created_at: z.string(),
  secret: z.string().optional().describe('Only when created or rotated: whsec_...; shown once.'),
});
export const eventSchema = z.object({
  id: z.string(),
  object: z.literal('event'),
  type: z.string(),
  created_at: z.string(),
  data: z.object({ object: z.record(z.string(), z.unknown()) }),
});
export const attemptSchema = z.object({
  id: z.string(),
  object: z.literal('webhook_attempt'),
  event_id: z.string(),
  webhook_id: z.string(),
  attempt: z.number(),
  url: z.string(),
  status_code: z.number().nullable(),
  latency_ms: z.number(),
  response_excerpt: z.string().nullable(),
  error: z.string().nullable(),
  succeeded: z.boolean(),
  created_at: z.string(),
});
export const listOf = <T extends z.ZodType>(item: T) => z.object({ object: z.literal('list'), data: z.array(item), has_more: z.boolean() });
