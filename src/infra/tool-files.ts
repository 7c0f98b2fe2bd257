import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';

/** Downloading and installing the tools the project provisions for itself (Temporal CLI, test server, stripe-mock). */

export async function downloadFile(url: string, destination: string, timeoutMs: number): Promise<void> {
  const controller = new AbortController();
  let timer = setTimeout(() => controller.abort(new Error(`no response within ${timeoutMs} ms`)), timeoutMs);
  const handle = await fs.open(destination, 'w');
  try {
    const response = await fetch(url, { signal: controller.signal });
    if (!response.ok || !response.body) throw new Error(`HTTP ${response.status} for ${url}`);
    for await (const chunk of Readable.fromWeb(response.body as WebReadableStream<Uint8Array>)) {
      // An idle timeout rather than a total one: the archives are tens of MB.
      clearTimeout(timer);
      timer = setTimeout(() => controller.abort(new Error(`download stalled for ${timeoutMs} ms`)), timeoutMs);
      await handle.write(chunk as Buffer);
    }
  } finally {
    clearTimeout(timer);
    await handle.close();
  }
}
/** Moves a verified-complete file into place with a rename so readers never see a partial binary. */
export async function installBinary(source: string, destination: string): Promise<string> {
  await fs.chmod(source, 0o755);
  await fs.mkdir(path.dirname(destination), { recursive: true });
  await fs.rename(source, destination);
  return destination;
}
export async function inTempDir<T>(toolsDir: string, label: string, fn: (dir: string) => Promise<T>): Promise<T> {
  // Inside toolsDir so the final rename never crosses filesystems.
  const dir = path.join(toolsDir, '.tmp', `${label}-${process.pid}-${randomBytes(4).toString('hex')}`);
  await fs.mkdir(dir, { recursive: true });
  try {
    return await fn(dir);
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
}
export function reason(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  // fetch wraps the interesting part (DNS failure, refused connection) in `cause`.
  const cause = error.cause instanceof Error ? `: ${error.cause.message}` : '';
  return `${error.message}${cause}`;
}
export function seconds(since: number): string {
  return `${((Date.now() - since) / 1000).toFixed(1)} s`;
}
