import { promises as fs, readFileSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DependencyStartError } from '../../src/infra/dependency-start-error';
import { installedDistribution, startEmbeddedPostgres } from '../../src/infra/embedded-postgres';
import { findFreePort, startTemporalDevServer } from '../../src/infra/temporal-dev-server';

const asRoot = process.getuid?.() === 0;
let scratch: string;
/** Program copies this file's starts made outside the scratch folder (as root), removed at the end. */
const stagedCopies = new Set<string>();
const log = (message: string): void => {
  const copied = /Copied the PostgreSQL programs to (\S+)/.exec(message);
  if (copied?.[1]) stagedCopies.add(copied[1]);
};

/** A checkout the way a newcomer makes one: under a 0700 mktemp folder and a 0700 home folder. */
async function privateCheckout(name: string): Promise<{ checkout: string; distributionDir: string; dataDir: string }> {
  const home = path.join(scratch, name, 'home');
  await fs.mkdir(home, { recursive: true, mode: 0o700 });
  await fs.chmod(path.join(scratch, name), 0o700);
  const checkout = path.join(home, 'app');
  const distributionDir = path.join(checkout, 'node_modules', 'postgres-build');
  const installed = await installedDistribution();
  await fs.cp(installed.dir, distributionDir, {
    recursive: true,
    verbatimSymlinks: true,
    preserveTimestamps: true,
    filter: (file) => !file.endsWith('.a'),
  });
  return { checkout, distributionDir, dataDir: path.join(checkout, '.data', 'postgres') };
}

/** `ls -ld` of the checkout and every folder above it, as mode and owner. */
function foldersUpFrom(checkout: string): string[] {
  const modes: string[] = [];
  for (let current = checkout; ; current = path.dirname(current)) {
    const stat = statSync(current);
    modes.push(`${current} ${(stat.mode & 0o7777).toString(8)} ${stat.uid}:${stat.gid}`);
    if (path.dirname(current) === current) return modes;
  }
}

async function failureOf(promise: Promise<unknown>): Promise<DependencyStartError> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(DependencyStartError);
  return error as DependencyStartError;
}

function expectOneClearMessage(error: DependencyStartError, parts: { step: RegExp; path: string; cause: RegExp; remedy: RegExp }): void {
  expect(error.step).toMatch(parts.step);
  expect(error.path).toBe(parts.path);
  expect(error.message).toContain(parts.path);
  expect(error.message).toMatch(parts.cause);
  expect(error.message).toMatch(parts.remedy);
  // The message is the whole story: no frames of our launcher, no child's stack.
  expect(error.stack).not.toMatch(/\n\s+at /);
}

beforeAll(async () => {
  scratch = await fs.mkdtemp(path.join(os.tmpdir(), 'ledgerflow-embedded-'));
});
afterAll(async () => {
  await fs.rm(scratch, { recursive: true, force: true });
  for (const copy of stagedCopies) await fs.rm(copy, { recursive: true, force: true });
});

describe('embedded PostgreSQL in a private checkout', () => {
  it('when the data folder and the programs sit under 0700 parents, then the server starts, keeps its data in that folder across restarts and no parent folder changes', async () => {
    const { checkout, distributionDir, dataDir } = await privateCheckout('starts');
    const before = foldersUpFrom(checkout);
    expect(before.filter((folder) => / 700 /.test(folder)).length).toBeGreaterThanOrEqual(2);
    const port = await findFreePort();
    const first = await startEmbeddedPostgres({ dataDir, distributionDir, port, databases: ['ledgerflow_check'], log });
    try {
      if (asRoot) {
        // PostgreSQL refuses root; it must run as its own unprivileged account.
        const uid = /^Uid:\s+(\d+)/m.exec(readFileSync(`/proc/${first.pid}/status`, 'utf8'))?.[1];
        expect(Number(uid)).not.toBe(0);
      }
      await query(first.url('ledgerflow_check'), 'CREATE TABLE kept (note text); INSERT INTO kept VALUES ($$still here$$)');
    } finally {
      await first.stop();
    }
    expect(readFileSync(path.join(dataDir, 'PG_VERSION'), 'utf8').trim()).toMatch(/^\d+$/);

    const second = await startEmbeddedPostgres({ dataDir, distributionDir, port, databases: ['ledgerflow_check'], log });
    try {
      const rows = await query(second.url('ledgerflow_check'), 'SELECT note FROM kept');
      expect(rows).toEqual([{ note: 'still here' }]);
    } finally {
      await second.stop();
    }
    expect(foldersUpFrom(checkout)).toEqual(before);
  });

  it('when initdb has lost its execute bit, then start-up ends with one message naming initdb, its path, the cause and what to do', async () => {
    const { distributionDir, dataDir } = await privateCheckout('initdb');
    const initdb = path.join(distributionDir, 'bin', 'initdb');
    await fs.chmod(initdb, 0o644);
    const error = await failureOf(startEmbeddedPostgres({ dataDir, distributionDir, port: await findFreePort(), databases: [], log }));
    // As root the server runs a reachable copy of the programs, so the path named is that copy's initdb.
    expectOneClearMessage(error, {
      step: /^initdb$/,
      path: asRoot ? error.path : initdb,
      cause: /permission denied.*\(EACCES\)/,
      remedy: /What to do: restore its execute bit \(chmod \+x .*bin\/initdb\)/,
    });
    expect(error.path).toMatch(/bin\/initdb$/);
    // Nothing half-made is left to be mistaken for a cluster next time.
    expect(await fs.readdir(dataDir)).toEqual([]);
  });

  it('when the server program has lost its execute bit, then start-up ends with one message naming the server start, its path, the cause and what to do', async () => {
    const { distributionDir, dataDir } = await privateCheckout('server');
    const healthy = await startEmbeddedPostgres({ dataDir, distributionDir, port: await findFreePort(), databases: [], log });
    await healthy.stop();
    await fs.chmod(path.join(distributionDir, 'bin', 'postgres'), 0o644);
    const error = await failureOf(startEmbeddedPostgres({ dataDir, distributionDir, port: await findFreePort(), databases: [], log }));
    expectOneClearMessage(error, {
      step: /^server start$/,
      path: error.path,
      cause: /permission denied.*\(EACCES\)/,
      remedy: /What to do: restore its execute bit \(chmod \+x .*bin\/postgres\)/,
    });
    expect(error.path).toMatch(/bin\/postgres$/);
  });
});

describe('embedded Temporal dev server', () => {
  it('when the CLI has lost its execute bit, then start-up ends with one message naming the dev server, the CLI path, the cause and what to do', async () => {
    const cliPath = path.join(scratch, 'temporal');
    await fs.writeFile(cliPath, '#!/bin/sh\nexit 0\n', { mode: 0o644 });
    const error = await failureOf(
      startTemporalDevServer({ cliPath, port: await findFreePort(), headless: true, startupTimeoutMs: 10_000 }),
    );
    expectOneClearMessage(error, {
      step: /start-dev/,
      path: cliPath,
      cause: /permission denied.*\(EACCES\)/,
      remedy: /What to do: restore its execute bit \(chmod \+x .*temporal\)/,
    });
  });

  it('when the CLI exits at start, then the message carries its last output', async () => {
    const cliPath = path.join(scratch, 'temporal-broken');
    await fs.writeFile(cliPath, '#!/bin/sh\necho "unable to open database file: out of memory" >&2\nexit 1\n', { mode: 0o755 });
    const error = await failureOf(
      startTemporalDevServer({ cliPath, port: await findFreePort(), headless: true, startupTimeoutMs: 10_000 }),
    );
    expectOneClearMessage(error, {
      step: /start-dev/,
      path: cliPath,
      cause: /exited before it was ready \(exit code 1[^)]*\); its last output:\n\s+unable to open database file/,
      remedy: /What to do: fix what the output says/,
    });
  });
});

async function query(url: string, sql: string): Promise<unknown[]> {
  const { Client } = (await import('pg')).default;
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    const result = await client.query(sql);
    return Array.isArray(result) ? (result.at(-1)?.rows ?? []) : result.rows;
  } finally {
    await client.end();
  }
}
