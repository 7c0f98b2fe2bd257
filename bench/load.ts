/** Load shapes and statistics for the benchmark. */

export interface Sample {
  /** Milliseconds until the HTTP answer (E only). */
  answerMs?: number;
  /** Milliseconds until the workflow completed. */
  completeMs: number;
  ok: boolean;
  /** The API answered 202 (still processing) instead of waiting for the decision. */
  answeredLater?: boolean;
}

export interface LevelResult {
  inFlight: number;
  seconds: number;
  completed: number;
  failed: number;
  /** Answered 202 because the decision took longer than the synchronous wait. */
  answeredLater: number;
  perSecond: number;
  answer?: Percentiles;
  complete: Percentiles;
  cpuMsPerOperation?: Record<string, number>;
}

export interface Percentiles {
  p50: number;
  p95: number;
  p99: number;
}

export function percentiles(values: number[]): Percentiles {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (q: number) => (sorted.length === 0 ? 0 : round(sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)]));
  return { p50: at(0.5), p95: at(0.95), p99: at(0.99) };
}

export const round = (value: number, digits = 1) => Math.round(value * 10 ** digits) / 10 ** digits;

function summarize(inFlight: number, seconds: number, samples: Sample[]): LevelResult {
  const ok = samples.filter((s) => s.ok);
  const answers = ok.flatMap((s) => (s.answerMs === undefined ? [] : [s.answerMs]));
  return {
    inFlight,
    seconds: round(seconds, 2),
    completed: ok.length,
    failed: samples.length - ok.length,
    answeredLater: samples.filter((s) => s.answeredLater).length,
    perSecond: round(ok.length / seconds),
    ...(answers.length ? { answer: percentiles(answers) } : {}),
    complete: percentiles(ok.map((s) => s.completeMs)),
  };
}

/** Closed loop: keeps `inFlight` operations running for `durationMs`, each starting when one finishes. */
export async function closedLoop(inFlight: number, durationMs: number, operation: () => Promise<Sample>): Promise<LevelResult> {
  const samples: Sample[] = [];
  const started = performance.now();
  const deadline = started + durationMs;
  const lane = async () => {
    while (performance.now() < deadline) samples.push(await operation().catch(() => ({ completeMs: 0, ok: false })));
  };
  await Promise.all(Array.from({ length: inFlight }, lane));
  return summarize(inFlight, (performance.now() - started) / 1000, samples);
}

/** Open loop: starts operations at a fixed rate for `durationMs`, whatever the answers do, as real traffic does. */
export async function openLoop(perSecond: number, durationMs: number, operation: () => Promise<Sample>): Promise<LevelResult> {
  const samples: Promise<Sample>[] = [];
  const started = performance.now();
  const total = Math.floor((perSecond * durationMs) / 1000);
  for (let i = 0; i < total; i++) {
    const due = started + (i * 1000) / perSecond;
    const wait = due - performance.now();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    samples.push(operation().catch(() => ({ completeMs: 0, ok: false })));
  }
  const settled = await Promise.all(samples);
  return summarize(0, (performance.now() - started) / 1000, settled);
}
