import type { LedgerBenchResult } from './ledger-bench';
import type { LevelResult } from './load';
import { formatAnswerBreakdown, type AnswerBreakdown } from './answer-breakdown';

export interface BenchReport {
  machine: { cpus: number; cpuModel: string; memoryGiB: number; node: string; platform: string };
  startedAt: string;
  /** Which Temporal engine ran the workflows, and how many workers. */
  engine?: string;
  activityCount: number;
  workflowsB: LevelResult[];
  workflowsBWithVisibility: LevelResult;
  /** B(0): a workflow with no activity at B(N)'s best level, the orchestration floor of any workflow (absent in older reports). */
  workflowsB0?: LevelResult;
  paymentsE: LevelResult[];
  halfRate: LevelResult & { targetPerSecond: number };
  peak: { bPerSecond: number; ePerSecond: number; ratio: number; bP50Ms: number; eP50Ms: number; p50Ratio: number };
  ledger: LedgerBenchResult[];
  memory: { apiIdleRssMb: number; workerIdleRssMb: number; apiPeakRssMb: number; workerPeakRssMb: number; totalPeakRssMb: number };
  targets: Record<string, { value: number; target: string; met: boolean }>;
  /** E and B(N)'s orchestration CPU at their peaks, and what only E pays (see orchestrationSplit). */
  orchestration?: ReturnType<typeof orchestrationSplit>;
  /** Where the half-peak answers spent their time, from their histories (absent in older reports). */
  answerBreakdown?: AnswerBreakdown;
}

const pad = (value: unknown, width: number) => String(value).padStart(width);

/** The table printed at the end of a run. */
export function formatTable(report: BenchReport): string {
  const lines = [
    `Machine: ${report.machine.cpus} × ${report.machine.cpuModel}, ${report.machine.memoryGiB} GiB, Node ${report.machine.node}`,
    `Engine: ${report.engine ?? 'Temporal dev server (SQLite, one history shard), one worker'}`,
    '',
    `                      in flight   per second   answer p50/p95/p99 ms   complete p50/p95/p99 ms   202s  failed`,
  ];
  const row = (label: string, level: LevelResult) =>
    lines.push(
      `${label.padEnd(22)}${pad(level.inFlight || '-', 9)}${pad(level.perSecond, 13)}   ${pad(level.answer ? `${level.answer.p50}/${level.answer.p95}/${level.answer.p99}` : '-', 21)}   ${pad(`${level.complete.p50}/${level.complete.p95}/${level.complete.p99}`, 23)}${pad(level.answeredLater, 7)}${pad(level.failed, 8)}`,
    );
  for (const level of report.workflowsB) row(`B(${report.activityCount}) empty workflow`, level);
  row(`B(${report.activityCount}) + search attrs`, report.workflowsBWithVisibility);
  if (report.workflowsB0) row('B(0) no activity', report.workflowsB0);
  for (const level of report.paymentsE) row('E payment over HTTP', level);
  row(`E at half peak (${report.halfRate.targetPerSecond}/s)`, report.halfRate);
  lines.push('');
  lines.push(
    `With the payment's search attributes, summary and status upsert, the empty workflow runs ${report.workflowsBWithVisibility.perSecond}/s: E / that = ${Math.round((100 * report.peak.ePerSecond) / report.workflowsBWithVisibility.perSecond) / 100}`,
  );
  lines.push(
    `Peak: B ${report.peak.bPerSecond}/s, E ${report.peak.ePerSecond}/s, E/B = ${report.peak.ratio}; p50 completion B ${report.peak.bP50Ms} ms, E ${report.peak.eP50Ms} ms, B/E = ${report.peak.p50Ratio}`,
  );
  for (const ledger of report.ledger) {
    lines.push(
      `Ledger (${ledger.merchants} merchants, ${ledger.clients ?? 8} clients): postJournalEntry ${ledger.projectPerSecond}/s, ` +
        (ledger.pgbenchPerSecond ? `pgbench's double entry ${ledger.pgbenchPerSecond}/s (ratio ${ledger.pgbenchRatio}), ` : '') +
        `the same from Node ${ledger.physicalPerSecond ?? '-'}/s (ratio ${ledger.physicalRatio ?? '-'}), ` +
        `plain SQL in our tables ${ledger.plainSqlPerSecond}/s (ratio ${ledger.ratio})`,
    );
    const cpu = ledger.cpuMsPerEntry;
    if (cpu)
      lines.push(
        `  CPU ms per entry (PostgreSQL + client): double entry ${cpu.physical.postgres ?? '-'} + ${cpu.physical.client}, ` +
          `plain SQL ${cpu.plainSql.postgres ?? '-'} + ${cpu.plainSql.client}, postJournalEntry ${cpu.project.postgres ?? '-'} + ${cpu.project.client}`,
      );
  }
  const cpuRow = (label: string, level: LevelResult) => {
    if (!level.cpuMsPerOperation) return;
    lines.push(
      `CPU ms per ${label} at ${level.inFlight} in flight: ${Object.entries(level.cpuMsPerOperation)
        .map(([role, ms]) => `${role} ${ms}`)
        .join(', ')}`,
    );
  };
  const bestOf = (levels: LevelResult[]) => levels.reduce((a, b) => (b.perSecond > a.perSecond ? b : a));
  cpuRow(`B(${report.activityCount}) workflow`, bestOf(report.workflowsB));
  cpuRow(`B(${report.activityCount}) workflow with search attributes`, report.workflowsBWithVisibility);
  if (report.workflowsB0) cpuRow('B(0) workflow', report.workflowsB0);
  cpuRow('E payment', bestOf(report.paymentsE));
  const split = orchestrationSplit(report);
  if (split)
    lines.push(
      `Orchestration (Temporal server + worker) CPU per operation at peak: B(${report.activityCount}) ${split.bMs} ms, E ${split.eMs} ms ` +
        `(E / B by orchestration cost = ${split.ratio}); E also pays the API ${split.eApiMs} ms and PostgreSQL ${split.ePostgresMs} ms more than B, which B's no-op activities do not`,
    );
  if (split?.floor)
    lines.push(
      `For E/B(${report.activityCount}) = 1.0 a payment's orchestration would have to fit in ${split.floor.eOrchestrationAllowanceMs} ms ` +
        `(B(${report.activityCount})'s ${split.floor.bTotalMs} ms less the ${split.floor.eOutsideOrchestrationMs} ms E spends outside orchestration). ` +
        `A workflow with no activity costs ${split.floor.b0OrchestrationMs} ms and each ordinary activity ${split.floor.perOrdinaryActivityMs} ms more, ` +
        `which leaves ${split.floor.leftForLocalStepsAndVisibilityMs} ms for the local database steps, search attributes and encrypted payloads ` +
        `that cost the payment ${split.floor.eLocalStepsAndVisibilityMs} ms today`,
    );
  if (report.answerBreakdown) lines.push(formatAnswerBreakdown(report.answerBreakdown));
  lines.push(
    `Peak RSS: API ${report.memory.apiPeakRssMb} MB + worker ${report.memory.workerPeakRssMb} MB = ${report.memory.totalPeakRssMb} MB (after start: API ${report.memory.apiIdleRssMb} MB, worker ${report.memory.workerIdleRssMb} MB)`,
  );
  lines.push('');
  for (const [name, target] of Object.entries(report.targets))
    lines.push(`${target.met ? 'met   ' : 'MISSED'}  ${name}: ${target.value} (target ${target.target})`);
  return lines.join('\n');
}

/**
 * Where E and B(N) differ at their peaks: the CPU of orchestrating them (Temporal server and worker) against
 * the API and PostgreSQL work only E does. On a CPU-bound host the peak rates follow total CPU per operation.
 */
export function orchestrationSplit(report: BenchReport) {
  const best = (levels: LevelResult[]) => levels.reduce((a, b) => (b.perSecond > a.perSecond ? b : a));
  const b = best(report.workflowsB).cpuMsPerOperation;
  const e = best(report.paymentsE).cpuMsPerOperation;
  if (!b || !e) return undefined;
  // Every worker process counts ('worker', 'worker 2', ...).
  const orchestration = (cpu: Record<string, number>) =>
    (cpu['temporal server'] ?? 0) + Object.entries(cpu).reduce((sum, [role, ms]) => sum + (role.startsWith('worker') ? ms : 0), 0);
  const round1 = (value: number) => Math.round(value * 10) / 10;
  // The CPU records carry their own 'total'; it is the sum of the roles, not another role.
  const total = (cpu: Record<string, number>) => cpu.total ?? Object.values(cpu).reduce((sum, ms) => sum + ms, 0);
  const b0 = report.workflowsB0?.cpuMsPerOperation;
  // What E's orchestration could cost at most for E/B(N) = 1.0 on a CPU-bound host (B(N)'s whole cost less what E
  // spends outside orchestration: the API, PostgreSQL, the load generator), set against what orchestration costs
  // at the least: B(0), a workflow with no activity, plus one ordinary activity (the gateway call) at B(N)'s rate.
  // The worker's share of E also runs the local activities' database work and the payloads' encryption. Exact on the dev
  // server only: on the production engine PostgreSQL also holds Temporal's histories, which this counts outside orchestration.
  const floor = b0
    ? (() => {
        const perActivity = (orchestration(b) - orchestration(b0)) / Math.max(report.activityCount, 1);
        const outsideOrchestration = total(e) - orchestration(e);
        const allowance = total(b) - outsideOrchestration;
        const withGatewayActivity = orchestration(b0) + perActivity;
        return {
          bTotalMs: round1(total(b)),
          eOutsideOrchestrationMs: round1(outsideOrchestration),
          eOrchestrationAllowanceMs: round1(allowance),
          b0OrchestrationMs: round1(orchestration(b0)),
          perOrdinaryActivityMs: round1(perActivity),
          leftForLocalStepsAndVisibilityMs: round1(allowance - withGatewayActivity),
          eLocalStepsAndVisibilityMs: round1(orchestration(e) - withGatewayActivity),
        };
      })()
    : undefined;
  return {
    floor,
    bMs: round1(orchestration(b)),
    eMs: round1(orchestration(e)),
    ratio: Math.round((100 * orchestration(b)) / Math.max(orchestration(e), 0.001)) / 100,
    eApiMs: round1(e.api ?? 0),
    // On the production engine PostgreSQL also holds Temporal's histories: only what E costs it beyond B(N) is E's own.
    ePostgresMs: round1(Math.max(0, (e.postgres ?? 0) - (b.postgres ?? 0))),
  };
}

/** A small bar chart: per-second rates of B and E at each concurrency level. */
export function renderSvg(report: BenchReport): string {
  const levels = report.workflowsB.map((level) => level.inFlight);
  const max = Math.max(...report.workflowsB.map((l) => l.perSecond), ...report.paymentsE.map((l) => l.perSecond), 1);
  const width = 640;
  const height = 320;
  const chartHeight = 220;
  const groupWidth = (width - 80) / levels.length;
  const bars = levels
    .map((inFlight, i) => {
      const b = report.workflowsB[i].perSecond;
      const e = report.paymentsE[i]?.perSecond ?? 0;
      const x = 60 + i * groupWidth;
      const bar = (value: number, offset: number, color: string) => {
        const h = (value / max) * chartHeight;
        return (
          `<rect x="${x + offset}" y="${40 + chartHeight - h}" width="${groupWidth / 3}" height="${h}" fill="${color}"/>` +
          `<text x="${x + offset + groupWidth / 6}" y="${35 + chartHeight - h}" font-size="11" text-anchor="middle">${value}</text>`
        );
      };
      return (
        bar(b, groupWidth / 6, '#4c78a8') +
        bar(e, groupWidth / 2, '#f58518') +
        `<text x="${x + groupWidth / 2}" y="${40 + chartHeight + 18}" font-size="12" text-anchor="middle">${inFlight} in flight</text>`
      );
    })
    .join('');
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif">
<rect width="100%" height="100%" fill="white"/>
<text x="20" y="22" font-size="14" font-weight="bold">Completed per second: B(${report.activityCount}) empty workflow vs E payment over HTTP (E/B at peak ${report.peak.ratio})</text>
<line x1="55" y1="${40 + chartHeight}" x2="${width - 20}" y2="${40 + chartHeight}" stroke="#333"/>
${bars}
<rect x="${width - 210}" y="${height - 28}" width="12" height="12" fill="#4c78a8"/><text x="${width - 193}" y="${height - 18}" font-size="12">B(N) workflow</text>
<rect x="${width - 105}" y="${height - 28}" width="12" height="12" fill="#f58518"/><text x="${width - 88}" y="${height - 18}" font-size="12">E payment</text>
</svg>
`;
}
