import { z, type ZodType } from 'zod';
import type { ApiRoute, ResponseSpec } from './route';
import { errorSchema } from './common-schemas';
import { IDEMPOTENCY_KEY_PATTERN, NO_NUL_PATTERN } from './documented-formats';

type JsonObject = Record<string, unknown>;

export const API_INFO = { title: 'Ledgerflow payments API', version: '1.0.0' };

function jsonSchema(schema: ZodType, io: 'input' | 'output'): JsonObject {
  const { $schema: _ignored, ...rest } = z.toJSONSchema(schema, { io, unrepresentable: 'any' }) as JsonObject;
  return io === 'input' ? withoutNul(rest) : rest;
}

/** Every request string refuses NUL (validation.ts): free-text strings say so; those with a pattern or a list already exclude it. */
function withoutNul(schema: JsonObject): JsonObject {
  const walked = Object.fromEntries(Object.entries(schema).map(([key, value]) => [key, walk(value)]));
  if (walked.type === 'string' && !walked.pattern && !walked.enum && !walked.const && !walked.format) walked.pattern = NO_NUL_PATTERN;
  // Keys are strings too: an open object (metadata, a gateway's event) names no key with NUL, and
  // what it holds beyond its listed fields is any JSON without NUL.
  if (walked.type === 'object' && walked.additionalProperties !== false) {
    walked.propertyNames ??= { pattern: NO_NUL_PATTERN };
    if (isAnything(walked.additionalProperties)) walked.additionalProperties = JSON_WITHOUT_NUL_REF;
  }
  if (walked.type === 'array' && isAnything(walked.items)) walked.items = JSON_WITHOUT_NUL_REF;
  return walked;
}

const isAnything = (schema: unknown): boolean =>
  schema === undefined || schema === true || (typeof schema === 'object' && schema !== null && Object.keys(schema).length === 0);
const JSON_WITHOUT_NUL_REF = { $ref: '#/components/schemas/JsonWithoutNul' };
/** Any JSON value whose strings and keys hold no NUL, for the open parts of request bodies. */
const JSON_WITHOUT_NUL: JsonObject = {
  description: 'Any JSON value whose strings and object keys hold no NUL character.',
  anyOf: [
    { type: 'string', pattern: NO_NUL_PATTERN },
    { type: 'number' },
    { type: 'boolean' },
    { type: 'null' },
    { type: 'array', items: JSON_WITHOUT_NUL_REF },
    { type: 'object', propertyNames: { pattern: NO_NUL_PATTERN }, additionalProperties: JSON_WITHOUT_NUL_REF },
  ],
};

function walk(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(walk);
  return value && typeof value === 'object' ? withoutNul(value as JsonObject) : value;
}

function pathParameters(route: ApiRoute): JsonObject[] {
  if (!route.params) return [];
  const shape = jsonSchema(route.params, 'input') as { properties?: Record<string, JsonObject> };
  return Object.entries(shape.properties ?? {}).map(([name, schema]) => ({
    name,
    in: 'path',
    required: true,
    schema,
    description: schema.description,
  }));
}

function queryParameters(route: ApiRoute): JsonObject[] {
  if (!route.query) return [];
  const shape = jsonSchema(route.query, 'input') as { properties?: Record<string, JsonObject>; required?: string[] };
  return Object.entries(shape.properties ?? {}).map(([name, schema]) => ({
    name,
    in: 'query',
    required: (shape.required ?? []).includes(name),
    schema,
    description: schema.description,
  }));
}

function responseContent(response: ResponseSpec): JsonObject {
  const other = Object.entries(response.otherContent ?? {}).map(([type, description]) => [
    type,
    { schema: { type: 'string', description } },
  ]);
  return {
    ...(response.schema ? { 'application/json': { schema: jsonSchema(response.schema, 'output') } } : {}),
    ...Object.fromEntries(other),
  };
}

const IDEMPOTENCY_KEY_DESCRIPTIONS = {
  create:
    'Makes the request safe to retry: the same key with the same body returns the same resource and never creates, or charges, twice. Keys are scoped to your account; reusing one with a different body answers 422.',
  update:
    'Makes the request safe to retry: the same key with the same body is carried out once and every repeat gets the first outcome, even after the resource has moved on (a retried capture answers with the capture, not 409). Keys are scoped to your account and shared with creates; reusing one with a different body answers 422.',
};

function idempotencyHeader(mode: 'create' | 'update') {
  return {
    name: 'Idempotency-Key',
    in: 'header',
    required: false,
    schema: { type: 'string', pattern: IDEMPOTENCY_KEY_PATTERN },
    description: IDEMPOTENCY_KEY_DESCRIPTIONS[mode],
  };
}

// Every route that takes an Idempotency-Key can answer these, whether or not it lists them itself.
const KEYED_ROUTE_RESPONSES: ApiRoute['responses'] = {
  409: {
    description:
      'Another request with this Idempotency-Key was being carried out and gave it back again and again (`idempotency_key_in_use`): retry.',
    schema: errorSchema,
  },
  422: { description: 'The Idempotency-Key was used before with different parameters.', schema: errorSchema },
  503: {
    description:
      'PostgreSQL or Temporal stayed unavailable while the request was run again; retry with the same Idempotency-Key after `Retry-After` seconds.',
    schema: errorSchema,
  },
};

function documentedResponses(route: ApiRoute): ApiRoute['responses'] {
  return route.idempotent ? { ...KEYED_ROUTE_RESPONSES, ...route.responses } : route.responses;
}

// Creates that name what another create made, by body field: a payment's refunds, a token's payments and customers.
const BODY_REFERENCES: Record<string, Array<[string, string]>> = {
  '/v1/payments': [['payment_id', 'createRefund']],
  '/v1/tokens': [
    ['source', 'createPayment'],
    ['source', 'createCustomer'],
  ],
};
// Creates whose object lives under another collection's path.
const CREATED_ELSEWHERE: Record<string, string> = { '/v1/test_helpers/payments/:id/dispute': '/v1/disputes' };

/**
 * OpenAPI links from each create to the operations on what it created (`:id` from the answer's
 * `id`), so a stateful client or fuzzer can follow them: a payment to its capture, cancel and
 * refunds, a dispute to its evidence. Keyed by the create's operationId.
 */
function createdObjectLinks(routes: ApiRoute[]): Map<string, JsonObject> {
  const links = new Map<string, JsonObject>();
  for (const create of routes.filter((route) => route.method === 'post' && (!route.path.includes('/:') || CREATED_ELSEWHERE[route.path]))) {
    const collection = CREATED_ELSEWHERE[create.path] ?? create.path;
    const testHelpers = `/v1/test_helpers${collection.slice('/v1'.length)}/:id`;
    const onCreated = routes.filter(
      (route) => (route.path.startsWith(`${collection}/:id`) || route.path.startsWith(testHelpers)) && route.auth === create.auth,
    );
    const entries: Array<[string, JsonObject]> = onCreated.map((route) => [
      route.operationId,
      { operationId: route.operationId, parameters: { id: '$response.body#/id' } },
    ]);
    for (const [field, operationId] of BODY_REFERENCES[collection] ?? []) {
      if (routes.some((route) => route.operationId === operationId))
        entries.push([operationId, { operationId, requestBody: { [field]: '$response.body#/id' } }]);
    }
    if (entries.length > 0) links.set(create.operationId, Object.fromEntries(entries));
  }
  return links;
}

/** The OpenAPI 3.1 document, built from the same route definitions and schemas that validate requests. */
export function buildOpenApiDocument(routes: ApiRoute[], info: { title: string; version: string }): JsonObject {
  const paths: Record<string, Record<string, JsonObject>> = {};
  const links = createdObjectLinks(routes);
  for (const route of routes) {
    const path = route.path.replace(/:([A-Za-z_]+)/g, '{$1}');
    const operation: JsonObject = {
      operationId: route.operationId,
      summary: route.summary,
      ...(route.description ? { description: route.description } : {}),
      tags: route.tags,
      security: route.auth === 'none' ? [] : [{ [route.auth === 'admin' ? 'adminKey' : 'merchantKey']: [] }],
      parameters: [...pathParameters(route), ...queryParameters(route), ...(route.idempotent ? [idempotencyHeader(route.idempotent)] : [])],
      responses: Object.fromEntries(
        Object.entries(documentedResponses(route)).map(([status, response]) => [
          status,
          {
            description: response.description,
            ...(response.schema || response.otherContent ? { content: responseContent(response) } : {}),
            ...(status.startsWith('2') && links.has(route.operationId) ? { links: links.get(route.operationId) } : {}),
          },
        ]),
      ),
    };
    if (route.body) {
      // An empty raw body is no body at all: the server then answers that the field is missing.
      const raw = route.rawBody
        ? {
            [route.rawBody.mediaType]: {
              schema:
                route.rawBody.mediaType === 'application/x-www-form-urlencoded'
                  ? { ...jsonSchema(route.body, 'input'), description: route.rawBody.description }
                  : { type: 'string', minLength: 1, pattern: NO_NUL_PATTERN, description: route.rawBody.description },
            },
          }
        : {};
      // A body whose every field is optional may be left out: the server reads a missing body as {}.
      operation.requestBody = {
        required: !route.body.safeParse({}).success,
        content: { 'application/json': { schema: jsonSchema(route.body, 'input') }, ...raw },
      };
    }
    (paths[path] ??= {})[route.method] = operation;
  }
  return {
    openapi: '3.1.0',
    info: {
      ...info,
      description:
        'A self-hostable, workflow-orchestrated payment processor. Amounts are in major units (100.00 USD); errors are `{ "error", "code", "param" }`.',
    },
    servers: [{ url: '/' }],
    paths,
    components: {
      schemas: { JsonWithoutNul: JSON_WITHOUT_NUL },
      securitySchemes: {
        merchantKey: { type: 'http', scheme: 'bearer', description: 'A merchant secret key: sk_test_...' },
        adminKey: { type: 'http', scheme: 'bearer', description: 'The platform admin key (ADMIN_API_KEY).' },
      },
    },
  };
}
