import { createHash, randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { runToExit } from './child-processes';
import { DependencyStartError, describeSystemError } from './dependency-start-error';

/** The unprivileged account PostgreSQL runs as when this process is root (it refuses to run as root). */
export interface ServerAccount {
  name: string;
  uid: number;
  gid: number;
}

const ACCOUNT = 'postgres';
const STAGE_PREFIX = 'ledgerflow-postgres-';

/** The account the server runs as: undefined when this process is not root (the server runs as us). */
export async function postgresServerAccount(log: (message: string) => void): Promise<ServerAccount | undefined> {
  if (process.getuid?.() !== 0) return undefined;
  const found = await lookUpAccount(ACCOUNT);
  if (found) return found;
  const created = await runToExit('useradd', [
    '--system',
    '--user-group',
    '--no-create-home',
    '--home-dir',
    '/nonexistent',
    '--shell',
    '/usr/sbin/nologin',
    ACCOUNT,
  ]);
  const account = await lookUpAccount(ACCOUNT);
  if (!account) {
    throw new DependencyStartError({
      dependency: 'PostgreSQL',
      step: `create the system user "${ACCOUNT}" (PostgreSQL refuses to run as root)`,
      path: 'useradd',
      cause: created.error ? describeSystemError(created.error) : created.output || `exit code ${String(created.code)}`,
      remedy: `create the user yourself (useradd --system --user-group ${ACCOUNT}), run as an ordinary user, or set DATABASE_URL to a PostgreSQL server of your own.`,
    });
  }
  log(`Postgres: created the system user ${ACCOUNT} (uid ${account.uid}) to run the server as, since PostgreSQL refuses to run as root`);
  return account;
}

async function lookUpAccount(name: string): Promise<ServerAccount | undefined> {
  const [uid, gid] = await Promise.all([runToExit('id', ['-u', name]), runToExit('id', ['-g', name])]);
  if (uid.code !== 0 || gid.code !== 0) return undefined;
  return { name, uid: Number.parseInt(uid.output, 10), gid: Number.parseInt(gid.output, 10) };
}

/**
 * As root, the server account cannot enter a checkout under private folders (a 0700 home or
 * mktemp folder), and loosening those folders would open them to every user. So the programs are
 * copied once per distribution into a root-owned, read-only folder under a temp folder that every
 * user can already enter; nothing else outside the project changes.
 */
export async function reachableDistribution(
  distributionDir: string,
  label: string,
  account: ServerAccount,
  log: (message: string) => void,
): Promise<string> {
  const base = await reachableTempFolder();
  const target = path.join(base, `${STAGE_PREFIX}${label}-${await distributionFingerprint(distributionDir)}`);
  if (await exists(target)) {
    await assertOwnedByRoot(target);
    log(
      `Postgres: running as root, so the server runs as the user ${account.name} from the copy of its programs in ${target} (made earlier; README, "Running as root")`,
    );
    return target;
  }
  const partial = await fs.mkdtemp(path.join(base, `.${STAGE_PREFIX}partial-`));
  try {
    // Static libraries are only for building extensions; the server never reads them.
    await fs.cp(distributionDir, partial, {
      recursive: true,
      verbatimSymlinks: true,
      preserveTimestamps: true,
      filter: (source) => !source.endsWith('.a'),
    });
    await fs.chmod(partial, 0o755);
    await fs.rename(partial, target);
  } catch (error) {
    await fs.rm(partial, { recursive: true, force: true });
    // Another start made the same copy at the same moment: theirs is as good.
    if (!(await exists(target))) {
      throw new DependencyStartError({
        dependency: 'PostgreSQL',
        step: 'copy the PostgreSQL programs where the postgres user can reach them',
        path: target,
        cause: describeSystemError(error),
        remedy: `make room in ${base} or point TMPDIR at a folder every user can enter; or run as an ordinary user, or set DATABASE_URL.`,
      });
    }
  }
  await assertOwnedByRoot(target);
  log(
    `Postgres: running as root, so the server runs as the user ${account.name} (uid ${account.uid}), which cannot enter this checkout's folders. ` +
      `Copied the PostgreSQL programs to ${target} (owned by root, read-only to others); the data folder is handed to the server as its working directory. ` +
      'No folder outside the project had its permissions changed.',
  );
  return target;
}

/** A file the server account alone can read, in a folder it can reach, removed after use (initdb's password file). */
export async function withServerReadableFile<T>(
  content: string,
  account: ServerAccount | undefined,
  fn: (file: string) => Promise<T>,
): Promise<T> {
  const folder = account ? await reachableTempFolder() : os.tmpdir();
  const file = path.join(folder, `.ledgerflow-pg-${randomBytes(8).toString('hex')}`);
  await fs.writeFile(file, content, { mode: 0o600, flag: 'wx' });
  try {
    if (account) await fs.chown(file, account.uid, account.gid);
    return await fn(file);
  } finally {
    await fs.rm(file, { force: true });
  }
}

/** The first temp folder that every user can enter, checked and never changed. */
async function reachableTempFolder(): Promise<string> {
  const candidates = [...new Set([os.tmpdir(), '/tmp', '/var/tmp'])];
  for (const candidate of candidates) {
    if (await enterableByEveryone(candidate)) return candidate;
  }
  throw new DependencyStartError({
    dependency: 'PostgreSQL',
    step: 'find a temp folder the postgres user can enter',
    path: candidates.join(', '),
    cause: 'none of these folders, or a folder above them, lets other users enter it (mode o+x)',
    remedy:
      'set TMPDIR to a folder every user can enter (such as /tmp), run as an ordinary user, or set DATABASE_URL to a PostgreSQL server of your own.',
  });
}

async function enterableByEveryone(folder: string): Promise<boolean> {
  for (let current = path.resolve(folder); ; current = path.dirname(current)) {
    const stat = await fs.stat(current).catch(() => undefined);
    if (!stat?.isDirectory() || (stat.mode & 0o001) === 0) return false;
    if (path.dirname(current) === current) return true;
  }
}

/**
 * Changes when the programs change (another build, a lost execute bit), so a stale copy is never
 * run, and only then: every checkout of the same build shares one copy, whatever its file times.
 */
async function distributionFingerprint(distributionDir: string): Promise<string> {
  const bin = path.join(distributionDir, 'bin');
  const names = (await fs.readdir(bin).catch(() => [] as string[])).sort();
  const hash = createHash('sha256');
  for (const name of names) {
    const file = path.join(bin, name);
    const stat = await fs.stat(file);
    hash
      .update(`${name}:${stat.mode}:`)
      .update(await fs.readFile(file))
      .update('\n');
  }
  return hash.digest('hex').slice(0, 12);
}

async function assertOwnedByRoot(folder: string): Promise<void> {
  const stat = await fs.lstat(folder);
  if (stat.isDirectory() && stat.uid === 0 && (stat.mode & 0o022) === 0) return;
  throw new DependencyStartError({
    dependency: 'PostgreSQL',
    step: 'use the copy of the PostgreSQL programs',
    path: folder,
    cause: 'the folder was not made by this program: it is not a root-owned folder that only root can write to',
    remedy: `remove ${folder} (another user may have put it there) and start again.`,
  });
}

async function exists(file: string): Promise<boolean> {
  return fs.lstat(file).then(
    () => true,
    () => false,
  );
}
