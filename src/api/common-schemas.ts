import { z } from 'zod';
import { QUERY_INSTANT_PATTERN } from './documented-formats';

/** The API contract's `{ "error": ... }` body, with machine-readable additions. */
export const errorSchema = z
  .object({
    error: z.string().describe('Human-readable message, e.g. "Invalid payment source".'),
    code: z.string().describe('Machine-readable code, e.g. invalid_source, parameter_missing, resource_missing.'),
    param: z.string().optional().describe('The request field at fault, when there is one.'),
    request_id: z
      .string()
      .optional()
      .describe('The Request-Id of the request (also a response header): quote it when asking about an error.'),
    status: z.string().optional().describe("On a 409 about an object's state: the object's current status."),
    line: z.number().int().optional().describe('On invalid_settlement_file: the line of the file at fault (1 is the header).'),
    column: z.number().int().optional().describe('On invalid_settlement_file: the column at fault, from 1.'),
    column_name: z.string().optional().describe('On invalid_settlement_file: the name of that column.'),
    existing_id: z.string().optional().describe('On bank_account_exists: the id of the account already on file.'),
  })
  .describe('An error.');

export const errorResponses = {
  400: { description: 'Invalid request: malformed JSON, a missing, unknown or invalid field (named in `param`).', schema: errorSchema },
  401: { description: 'Missing or invalid API key.', schema: errorSchema },
  429: {
    description: "Too many requests for this API key (or, unauthenticated, this address): retry after the `Retry-After` header's seconds.",
    schema: errorSchema,
  },
} as const;

// Timestamps the database stores and ISO 8601 writes with four-digit years (Unix seconds 0 to the end of 9999).
const LATEST_INSTANT_MS = Date.UTC(9999, 11, 31, 23, 59, 59);

/** A point in time in a query: Unix seconds (as Stripe takes them) or an ISO 8601 timestamp, from 1970 to 9999. */
export const queryInstant = z
  .string()
  .max(40)
  .meta({ pattern: QUERY_INSTANT_PATTERN })
  .transform((raw, ctx) => {
    const date = /^\d{1,12}$/.test(raw) ? new Date(Number(raw) * 1000) : /^\d{4}-\d{2}-\d{2}/.test(raw) ? new Date(raw) : new Date(NaN);
    if (Number.isNaN(date.getTime()) || date.getTime() < 0 || date.getTime() > LATEST_INSTANT_MS) {
      ctx.addIssue({
        code: 'custom',
        message: 'expected Unix seconds or an ISO 8601 timestamp such as 2026-11-01T00:00:00Z, between 1970 and 9999',
      });
      return z.NEVER;
    }
    return date;
  });
