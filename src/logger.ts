import pino, { type DestinationStream, type Logger } from 'pino';

/**
 * Paths pino blanks before a line is written: credentials, auth headers and anything card-shaped
 * that could reach a log through a request body or an error's context.
 */
export const REDACTED_PATHS = [
  'req.headers.authorization',
  'headers.authorization',
  'authorization',
  '*.authorization',
  'api_key',
  '*.api_key',
  'apiKey',
  '*.apiKey',
  'password',
  '*.password',
  'secret',
  '*.secret',
  'card',
  '*.card',
  'number',
  '*.number',
  'cvc',
  '*.cvc',
  'body.card',
  'body.source',
];

/**
 * The process-wide structured logger. It writes asynchronously in 4 kB chunks, so a request never
 * waits on stdout; entry points flush it on shutdown. Tests may pass a destination of their own to read what was logged.
 */
export function createLogger(
  level: string,
  name = 'ledgerflow',
  destination: DestinationStream = pino.destination({ dest: 1, sync: false, minLength: 4096 }),
): Logger {
  return pino({ name, level, redact: { paths: REDACTED_PATHS, censor: '[redacted]' } }, destination);
}

export type { Logger };
