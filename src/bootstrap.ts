import type { Logger } from './logger';

/* Start-up and shut-down shared by every entry point; the API's start is in api-bootstrap.ts, the worker's in worker-bootstrap.ts. */

export interface Stoppable {
  stop(): Promise<void>;
}

// Ctrl-C reaches us twice: from the terminal to the whole process group, and relayed by tsx.
const DUPLICATE_SIGNAL_WINDOW_MS = 2_000;

/** Runs `shutdown` once on SIGINT/SIGTERM; a later second signal exits at once. */
export function onShutdownSignal(logger: Logger, shutdown: () => Promise<void>): void {
  let stoppingSince: number | undefined;
  const handler = (signal: NodeJS.Signals) => {
    if (stoppingSince !== undefined) {
      if (Date.now() - stoppingSince < DUPLICATE_SIGNAL_WINDOW_MS) return;
      logger.warn({ signal }, 'second signal: exiting now');
      process.exit(1);
    }
    stoppingSince = Date.now();
    shutdown().then(
      () => {
        logger.flush();
        process.exit(0);
      },
      (error) => {
        logger.error({ err: error }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
}

/** For the production entry points: settings they cannot run without. */
export function requireSetting(value: string | undefined, name: string, hint: string): string {
  if (!value) {
    process.stderr.write(`${name} is not set. ${hint}\n`);
    process.exit(2);
  }
  return value;
}
