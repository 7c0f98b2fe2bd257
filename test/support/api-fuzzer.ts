import { promises as fs } from 'node:fs';
import path from 'node:path';
import { runToExit } from '../../src/infra/child-processes';
import { DependencyStartError, indentLines } from '../../src/infra/dependency-start-error';
import { withLock } from '../../src/infra/temporal-cli';

/** The independent OpenAPI fuzzer, pinned: its checks are the contract the document makes. */
export const SCHEMATHESIS = 'schemathesis==4.32.5';

/** The schemathesis program in a venv under the tools folder, installed on first use like the Temporal CLI. */
export async function ensureSchemathesis(toolsDir: string, log: (message: string) => void): Promise<string> {
  const venv = path.join(toolsDir, `venv-${SCHEMATHESIS.replace('==', '-')}`);
  const program = path.join(venv, 'bin', 'schemathesis');
  if (await works(program)) return program;
  await fs.mkdir(toolsDir, { recursive: true });
  return withLock(toolsDir, log, async () => {
    if (await works(program)) return program;
    const started = Date.now();
    await fs.rm(venv, { recursive: true, force: true });
    const created = await runToExit('python3', ['-m', 'venv', venv], { timeoutMs: 120_000 });
    const installed =
      created.code === 0
        ? await runToExit(
            path.join(venv, 'bin', 'pip'),
            ['install', '--disable-pip-version-check', '--quiet', '--no-input', SCHEMATHESIS],
            { timeoutMs: 600_000 },
          )
        : created;
    if (installed.code !== 0 || !(await works(program))) {
      throw new DependencyStartError({
        dependency: 'Schemathesis (the API fuzzer)',
        step: created.code === 0 ? `pip install ${SCHEMATHESIS}` : 'python3 -m venv',
        path: venv,
        cause: installed.error
          ? installed.error.message
          : `exit code ${String(installed.code)}; its last output:\n${indentLines(installed.output)}`,
        remedy: 'install Python 3 with the venv module and pip (Debian: apt-get install python3-venv), then run the tests again.',
      });
    }
    log(`schemathesis: installed ${SCHEMATHESIS} into ${venv} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    return program;
  });
}

async function works(program: string): Promise<boolean> {
  const run = await runToExit(program, ['--version'], { timeoutMs: 60_000 });
  return run.code === 0 && /schemathesis/i.test(run.output);
}

/** One fuzzer run's figures and failures, read from its NDJSON event stream. */
export interface FuzzResult {
  exitCode: number | null;
  operations: number;
  requests: number;
  /** Each failure as "<check>: <METHOD path> <status>". */
  failures: string[];
  /** Errors the fuzzer hit itself (schema problems, connection errors). */
  errors: string[];
  output: string;
}

/**
 * Refusals a schema cannot state, allowed per operation as Schemathesis itself advises (st explain
 * ST202): a 400 naming an id that does not exist, a card number failing its checksum, a rule across
 * fields or against today's date. Each entry says why; every other refusal of a valid request fails.
 */
export interface UnstatableRefusal {
  operationIds: string[];
  /** The refusals this rule produces, as "<code> <param>" (or a code alone), checked against each answer's body. */
  refusals: string[];
  /** The status they come with; default 400. */
  status?: 400 | 422;
  why: string;
}

const HOOKS = path.resolve(__dirname, '../fuzz/hooks');

/** The run's schemathesis.toml: one [[operations]] block per unstatable refusal. */
function fuzzerConfig(refusals: UnstatableRefusal[]): string {
  // Schemathesis takes the first [[operations]] block that matches, so each operation gets one block with all its statuses.
  const statuses = new Map<string, Set<number>>();
  for (const refusal of refusals)
    for (const id of refusal.operationIds) (statuses.get(id) ?? statuses.set(id, new Set()).get(id))?.add(refusal.status ?? 400);
  return [...statuses.entries()]
    .map(([id, extra]) => {
      const acceptance = ['2xx', '3xx', ...[...extra].map(String), '401', '403', '404', '409', '429', '5xx']
        .map((status) => `"${status}"`)
        .join(', ');
      const why = refusals
        .filter((refusal) => refusal.operationIds.includes(id))
        .map((refusal) => `# ${refusal.why}`)
        .join('\n');
      return `${why}\n[[operations]]\ninclude-operation-id = "${id}"\nchecks.positive_data_acceptance.expected-statuses = [${acceptance}]\n`;
    })
    .join('\n');
}

export interface FuzzRun {
  /** The refusals no schema can state: allowed per operation, each 400 held to its listed codes. */
  unstatable: UnstatableRefusal[];
  program: string;
  schemaFile: string;
  baseUrl: string;
  /** Default all four; stateful needs links among the operations fuzzed. */
  phases?: string[];
  /** Sent as a bearer token; none for the operations that take no key. */
  apiKey?: string;
  /** Operation ids to fuzz (include) with this key. */
  operationIds: string[];
  seed: number;
  maxExamples: number;
  reportDir: string;
  timeoutMs: number;
}

/** Runs schemathesis with every check, every phase (examples, coverage, fuzzing, stateful) against a live API. */
export async function runFuzzer(run: FuzzRun): Promise<FuzzResult> {
  await fs.mkdir(run.reportDir, { recursive: true });
  const ndjson = path.join(run.reportDir, 'events.ndjson');
  const configFile = path.join(run.reportDir, 'schemathesis.toml');
  await fs.writeFile(configFile, fuzzerConfig(run.unstatable));
  const args = [
    '--config-file',
    configFile,
    'run',
    run.schemaFile,
    '--url',
    run.baseUrl,
    '--checks',
    'all',
    '--phases',
    (run.phases ?? ['examples', 'coverage', 'fuzzing', 'stateful']).join(','),
    '--max-examples',
    String(run.maxExamples),
    '--seed',
    String(run.seed),
    '--workers',
    '1',
    '--request-timeout',
    '30',
    '--no-color',
    ...(run.apiKey ? ['-H', `Authorization: Bearer ${run.apiKey}`] : []),
    '--include-operation-id-regex',
    `^(${run.operationIds.join('|')})$`,
    '--report',
    'ndjson,junit',
    '--report-ndjson-path',
    ndjson,
    '--report-junit-path',
    path.join(run.reportDir, 'junit.xml'),
    '--generation-database',
    'none',
  ];
  // Run from the report folder: the fuzzer keeps its own files where it runs, not in the checkout.
  const allowed: Record<string, string[]> = {};
  for (const refusal of run.unstatable) for (const id of refusal.operationIds) (allowed[id] ??= []).push(...refusal.refusals);
  const env = {
    ...process.env,
    NO_COLOR: '1',
    PYTHONPATH: HOOKS,
    SCHEMATHESIS_HOOKS: 'ledgerflow_refusals',
    LEDGERFLOW_UNSTATABLE_REFUSALS: JSON.stringify(allowed),
  };
  const finished = await runToExit(run.program, args, { cwd: run.reportDir, timeoutMs: run.timeoutMs, env });
  const summary = await readEvents(ndjson);
  return { exitCode: finished.code, ...summary, output: finished.output };
}

interface Interaction {
  response?: { status_code?: number; content?: { $base64?: string } };
}
interface ScenarioRecorder {
  label: string;
  checks?: Record<string, Array<{ name: string; status: string; failure_info?: { failure?: { code?: string; title?: string } } }>>;
  interactions?: Record<string, Interaction>;
}

/** Figures from the event stream: each finished scenario records its cases, their checks and their requests. */
async function readEvents(file: string): Promise<Omit<FuzzResult, 'exitCode' | 'output'>> {
  const text = await fs.readFile(file, 'utf8').catch(() => '');
  const operations = new Set<string>();
  const failures = new Set<string>();
  const errors = new Set<string>();
  let requests = 0;
  for (const line of text.split('\n').filter(Boolean)) {
    const event = JSON.parse(line) as Record<string, unknown>;
    for (const [kind, payload] of Object.entries(event)) {
      if (/Error/.test(kind)) errors.add(`${kind}: ${JSON.stringify(payload).slice(0, 400)}`);
    }
    const recorder = (event.ScenarioFinished as { recorder?: ScenarioRecorder } | undefined)?.recorder;
    if (!recorder) continue;
    const interactions = recorder.interactions ?? {};
    requests += Object.keys(interactions).length;
    if (Object.keys(interactions).length > 0) operations.add(recorder.label);
    for (const [caseId, checks] of Object.entries(recorder.checks ?? {})) {
      for (const check of checks.filter((candidate) => candidate.status === 'failure')) {
        failures.add(
          `${check.failure_info?.failure?.code ?? check.name} ${check.name}: ${recorder.label} -> ${answerOf(interactions[caseId])}`,
        );
      }
    }
  }
  return { operations: operations.size, requests, failures: [...failures].sort(), errors: [...errors].sort() };
}

/** "400 invalid_source (source)": enough to tell one refusal from another. */
function answerOf(interaction: Interaction | undefined): string {
  const status = interaction?.response?.status_code ?? 'no answer';
  try {
    const body = JSON.parse(Buffer.from(interaction?.response?.content?.$base64 ?? '', 'base64').toString('utf8')) as {
      code?: string;
      param?: string;
    };
    return `${status} ${body.code ?? ''}${body.param ? ` (${body.param})` : ''}`;
  } catch {
    return String(status);
  }
}
