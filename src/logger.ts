import pino, { type Logger } from 'pino';

/**
 * Paths pino blanks before a line is written: credentials, auth headers and anything card-shaped
 * that could reach a log through a request body or an error's context.
 */
export const REDACTED_PATHS = [
  'req.headers.authorization', 'headers.authorization', 'authorization', '*.authorization',
  'api_key', '*.api_key', 'apiKey', '*.apiKey', 'password', '*.password', 'secret', '*.secret',
  'card', '*.card', 'number', '*.number', 'cvc', '*.cvc', 'body.card', 'body.source',
];

/** The process-wide structured logger. */
export function createLogger(level: string, name = 'ledgerflow'): Logger {
  return pino({ name, level, redact: { paths: REDACTED_PATHS, censor: '[redacted]' } });
}

export type { Logger };
