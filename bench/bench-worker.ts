import fs from 'node:fs';
import path from 'node:path';
import { installTemporalRuntime, workerOptions } from '../src/worker-bootstrap';
import { loadConfig } from '../src/config';
import { initOrm } from '../src/db/orm';
import { createLogger } from '../src/logger';
import { connectTemporalWorker } from '../src/temporal/connection';
import { createPaymentWorker } from '../src/temporal/create-worker';
import { startupFailureText } from '../src/infra/dependency-start-error';

/** The production worker, with the same settings, plus the empty benchmark workflow and its no-op activity. */
async function main(): Promise<void> {
  const config = loadConfig();
  const logger = createLogger(config.logLevel, 'bench-worker');
  installTemporalRuntime(logger);
  const orm = await initOrm({ url: config.database.url as string, poolMax: config.database.poolMax });
  const connection = await connectTemporalWorker({ ...config.temporal, address: config.temporal.address as string });
  const base = workerOptions({ ...config, temporal: { ...config.temporal, address: config.temporal.address as string } }, orm, connection);
  const worker = await createPaymentWorker({
    ...base,
    activities: { ...base.activities, benchNoop: async () => undefined },
    ...(base.workflowBundle ? {} : { workflowsPath: path.join(__dirname, 'bench-workflows.ts') }),
  });
  process.on('SIGTERM', () => worker.shutdown());
  const trace = process.env.BENCH_MEMORY_TRACE ? traceMemory(process.env.BENCH_MEMORY_TRACE, () => worker.getStatus()) : undefined;
  await worker.run();
  if (trace) clearInterval(trace);
  await orm.close();
  await connection.close();
}

/** BENCH_MEMORY_TRACE=<file>: where the worker's memory goes over a run, one JSON line every half second. */
function traceMemory(file: string, status: () => object): NodeJS.Timeout {
  let peak = 0;
  const timer = setInterval(() => {
    const rollup = fs.readFileSync('/proc/self/smaps_rollup', 'utf8');
    const kb = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+)`, 'm').exec(rollup)?.[1] ?? 0);
    const mb = (bytes: number) => Math.round(bytes / 1048576);
    const usage = process.memoryUsage();
    const line = {
      at: Date.now(),
      rss: mb(usage.rss),
      anon: Math.round(kb('Anonymous') / 1024),
      file: Math.round((kb('Rss') - kb('Anonymous')) / 1024),
      heapTotal: mb(usage.heapTotal),
      heapUsed: mb(usage.heapUsed),
      external: mb(usage.external),
      arrayBuffers: mb(usage.arrayBuffers),
      ...status(),
    };
    fs.appendFileSync(file, `${JSON.stringify(line)}\n`);
    // The mappings at the peak, to tell the isolates' heaps, malloc's arenas and thread stacks apart.
    if (line.rss > peak) fs.writeFileSync(`${file}.smaps`, fs.readFileSync('/proc/self/smaps'));
    peak = Math.max(peak, line.rss);
  }, 500);
  timer.unref();
  return timer;
}

main().catch((error) => {
  process.stderr.write(`bench worker failed: ${startupFailureText(error)}\n`);
  process.exit(1);
});
