import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DependencyStartError } from '../../src/infra/dependency-start-error';
import { ensureTemporalCli, ensureTemporalTestServer, type ProvisionOptions } from '../../src/infra/temporal-cli';

const posixOnly = process.platform === 'win32' ? it.skip : it;

describe('ensureTemporalCli', () => {
  let root: string;
  let toolsDir: string;
  let emptyPath: string;

  beforeEach(async () => {
    root = await mkdtemp(path.join(tmpdir(), 'temporal-cli-test-'));
    toolsDir = path.join(root, 'tools');
    emptyPath = path.join(root, 'empty-path');
    await mkdir(emptyPath, { recursive: true });
  });

  afterEach(async () => {
    await rm(root, { recursive: true, force: true });
  });

  const offline = (extra: Partial<ProvisionOptions> = {}): ProvisionOptions => ({
    toolsDir,
    searchPath: emptyPath,
    allowDownload: false,
    allowPip: false,
    ...extra,
  });

  async function fakeCli(file: string, version = '9.9.9'): Promise<string> {
    await mkdir(path.dirname(file), { recursive: true });
    await writeFile(file, `#!/bin/sh\necho "temporal version ${version} (Server 0.0.0, UI 0.0.0)"\n`);
    await chmod(file, 0o755);
    return file;
  }

  it('throws naming TEMPORAL_CLI_PATH when the explicit path is not executable', async () => {
    const notExecutable = path.join(root, 'temporal');
    await writeFile(notExecutable, 'not a binary');
    await expect(ensureTemporalCli(offline({ explicitPath: notExecutable }))).rejects.toThrow(/TEMPORAL_CLI_PATH/);
  });

  it('throws naming TEMPORAL_CLI_PATH when the explicit path does not exist, without falling through', async () => {
    await fakeCli(path.join(toolsDir, 'bin', 'temporal'));
    await expect(ensureTemporalCli(offline({ explicitPath: path.join(root, 'missing') }))).rejects.toThrow(/TEMPORAL_CLI_PATH=.*missing/);
  });

  posixOnly('finds the CLI in <toolsDir>/bin when PATH has none', async () => {
    const expected = await fakeCli(path.join(toolsDir, 'bin', 'temporal'));
    await expect(ensureTemporalCli(offline())).resolves.toBe(expected);
  });

  posixOnly('finds the CLI in <toolsDir>/pip/bin', async () => {
    const expected = await fakeCli(path.join(toolsDir, 'pip', 'bin', 'temporal'));
    await expect(ensureTemporalCli(offline())).resolves.toBe(expected);
  });

  posixOnly('prefers PATH over the tools dir', async () => {
    await fakeCli(path.join(toolsDir, 'bin', 'temporal'));
    const onPath = await fakeCli(path.join(root, 'on-path', 'temporal'));
    await expect(ensureTemporalCli(offline({ searchPath: path.dirname(onPath) }))).resolves.toBe(onPath);
  });

  posixOnly('lets the explicit path win over the tools dir', async () => {
    await fakeCli(path.join(toolsDir, 'bin', 'temporal'));
    const explicit = await fakeCli(path.join(root, 'explicit', 'temporal'), '1.2.3');
    await expect(ensureTemporalCli(offline({ explicitPath: explicit }))).resolves.toBe(explicit);
  });

  posixOnly('rejects a tools-dir binary that does not print a temporal version', async () => {
    const bogus = path.join(toolsDir, 'bin', 'temporal');
    await mkdir(path.dirname(bogus), { recursive: true });
    await writeFile(bogus, '#!/bin/sh\necho hello\n');
    await chmod(bogus, 0o755);
    await expect(ensureTemporalCli(offline())).rejects.toThrow(/unexpected --version output/);
  });

  it('lists every failed attempt and points at TEMPORAL_CLI_PATH when nothing works', async () => {
    const error = await ensureTemporalCli(offline()).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(Error);
    const message = (error as Error).message;
    expect(message).toMatch(/PATH: no temporal/);
    expect(message).toMatch(/does not exist/);
    expect(message).toMatch(/download: disabled/);
    expect(message).toMatch(/pip: disabled/);
    expect(message).toMatch(/TEMPORAL_CLI_PATH/);
  });
});

describe('ensureTemporalTestServer', () => {
  let root: string;

  beforeEach(async () => {
    root = await mkdtemp(path.join(tmpdir(), 'temporal-test-server-test-'));
  });

  afterEach(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('throws naming TEMPORAL_TEST_SERVER_PATH when the explicit path is missing', async () => {
    await expect(
      ensureTemporalTestServer({ toolsDir: root, explicitPath: path.join(root, 'nope'), allowDownload: false, allowPip: false }),
    ).rejects.toThrow(/TEMPORAL_TEST_SERVER_PATH/);
  });

  async function fakeTestServer(script: string): Promise<string> {
    const file = path.join(root, 'bin', 'temporal-test-server');
    await mkdir(path.dirname(file), { recursive: true });
    await writeFile(file, `#!/bin/sh\n${script}\n`);
    await chmod(file, 0o755);
    return file;
  }

  posixOnly('accepts a binary in <toolsDir>/bin that starts and listens on the port it is given', async () => {
    const file = await fakeTestServer(
      `exec "${process.execPath}" -e "require('net').createServer().listen(Number(process.argv[1]), '127.0.0.1')" "$1"`,
    );
    const searchPath = path.join(root, 'empty');
    await expect(ensureTemporalTestServer({ toolsDir: root, searchPath, allowDownload: false, allowPip: false })).resolves.toBe(file);
  });

  posixOnly('when the binary exits at start, then one message names the step, the binary, its output and what to do', async () => {
    const file = await fakeTestServer('echo "segmentation fault in the image heap" >&2; exit 3');
    const error = await ensureTemporalTestServer({ toolsDir: root, explicitPath: file, allowDownload: false, allowPip: false }).catch(
      (caught: unknown) => caught,
    );
    expect(error).toBeInstanceOf(DependencyStartError);
    const message = (error as Error).message;
    expect(message).toContain(`TEMPORAL_TEST_SERVER_PATH=${file}`);
    expect(message).toMatch(/exited at start \(3\)/);
    expect(message).toContain('segmentation fault in the image heap');
    expect(message).toMatch(/What to do: point TEMPORAL_TEST_SERVER_PATH at a working/);
    expect((error as Error).stack).not.toMatch(/\n\s+at /);
  });
});
