import { z } from 'zod';

/** The seed's error body, with machine-readable additions. */
export const errorSchema = z.object({
  error: z.string().describe('Human-readable message, e.g. "Invalid payment source".'),
  code: z.string().describe('Machine-readable code, e.g. invalid_source, parameter_missing, resource_missing.'),
  param: z.string().optional().describe('The request field at fault, when there is one.'),
  request_id: z.string().optional().describe('The Request-Id of the request (also a response header): quote it when asking about an error.'),
}).describe('An error.');

export const errorResponses = {
  400: { description: 'Invalid request: malformed JSON, a missing, unknown or invalid field (named in `param`).', schema: errorSchema },
  401: { description: 'Missing or invalid API key.', schema: errorSchema },
  429: { description: 'Too many requests for this API key (or, unauthenticated, this address): retry after the `Retry-After` header\'s seconds.', schema: errorSchema },
} as const;
