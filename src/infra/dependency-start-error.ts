/** What failed while starting an embedded dependency, told the way a newcomer needs it. */
export interface DependencyStartFailure {
  /** 'PostgreSQL', 'Temporal CLI', 'Temporal test server', ... */
  dependency: string;
  /** The step that failed: 'initdb', 'server start', 'provision', ... */
  step: string;
  /** The file or folder the step worked on. */
  path: string;
  /** Why, in words (an errno explained, the program's last output). */
  cause: string;
  /** What the reader can do about it. */
  remedy: string;
}

/**
 * The one error an embedded dependency's start-up ends with. Its stack is its message alone: the
 * frames of our launcher say nothing to the person who has to fix a permission or a port.
 */
export class DependencyStartError extends Error {
  readonly dependency: string;
  readonly step: string;
  readonly path: string;
  readonly reason: string;
  readonly remedy: string;

  constructor(failure: DependencyStartFailure) {
    super(
      `${failure.dependency} could not start: ${failure.step} (${failure.path}) failed: ${failure.cause}\n` +
        `What to do: ${failure.remedy}`,
    );
    this.name = 'DependencyStartError';
    this.dependency = failure.dependency;
    this.step = failure.step;
    this.path = failure.path;
    this.reason = failure.cause;
    this.remedy = failure.remedy;
    this.stack = `${this.name}: ${this.message}`;
    // Test runners and loggers print an error's own enumerable fields after it: the message already says it all.
    for (const field of ['dependency', 'step', 'path', 'reason', 'remedy']) Object.defineProperty(this, field, { enumerable: false });
  }
}

const SPAWN_ERRORS: Record<string, string> = {
  EACCES: 'permission denied: the file is not executable by this user, or a folder above it cannot be entered',
  ENOENT: 'no such file (or its interpreter is missing)',
  ENOEXEC: 'not a program this machine can run (wrong platform or a damaged file)',
  EISDIR: 'it is a folder, not a program',
  ENOTDIR: 'a part of the path is not a folder',
  EPERM: 'operation not permitted',
  ETXTBSY: 'the file is being written by another process',
};

/** An errno from spawn() or fs, in words, with the code kept for searching. */
export function describeSystemError(error: unknown): string {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  if (code && SPAWN_ERRORS[code]) return `${SPAWN_ERRORS[code]} (${code})`;
  if (error instanceof Error) return error.message.split('\n')[0] ?? error.message;
  return String(error);
}

/** What an entry point prints when start-up fails: the dependency's message alone, or the stack of an unexpected error. */
export function startupFailureText(error: unknown): string {
  if (error instanceof DependencyStartError) return error.message;
  return error instanceof Error ? (error.stack ?? error.message) : String(error);
}

/** A program's output, indented under the line that introduces it. */
export function indentLines(text: string): string {
  return text
    .split('\n')
    .map((line) => `    ${line}`)
    .join('\n');
}
