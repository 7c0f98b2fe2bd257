import { Client as PgClient } from 'pg';
import { SANDBOX_FAULT_KINDS, type SandboxFaultKind } from '../src/gateways/sandbox/sandbox-faults';
import type { ChaosStack } from './chaos-stack';

/** Faults the runner injects itself; the sandbox gateway and the webhook endpoints count their own. */
export type RunnerFault =
  | 'worker_killed'
  | 'worker_killed_after_charge'
  | 'api_killed'
  | 'api_stopped'
  | 'temporal_crashed'
  | 'temporal_restarted'
  | 'postgres_restarted'
  | 'postgres_connections_terminated';

type OutageFault = Exclude<RunnerFault, 'worker_killed' | 'worker_killed_after_charge'>;
const OUTAGES: OutageFault[] = [
  'api_killed',
  'api_stopped',
  'temporal_crashed',
  'temporal_restarted',
  'postgres_restarted',
  'postgres_connections_terminated',
];

export interface FaultPlan {
  /** Pause between two outages (API, Temporal, Postgres), drawn in this range; one outage at a time. */
  outageEveryMs: [number, number];
  /** Pause between two worker kills, drawn in this range. */
  workerKillEveryMs: [number, number];
  /** How long a killed worker stays down. */
  workerDownMs: [number, number];
  /**
   * When into the load to make sure every gateway fault kind has happened: random draws can miss
   * a rare kind in a short run, and a run that never saw it proves nothing about it.
   */
  gatewayTopUpAfterMs: number;
}

/**
 * Injects the process-level faults while the load runs: worker kills at random moments and right
 * after the sandbox charged (while the answer is held back), API kills and graceful restarts,
 * Temporal crashes and restarts on its SQLite file, PostgreSQL restarts and terminated
 * connections. Outages come one at a time, every kind once before any repeats.
 */
export class FaultInjector {
  readonly injected: Record<RunnerFault, number> = {
    worker_killed: 0,
    worker_killed_after_charge: 0,
    api_killed: 0,
    api_stopped: 0,
    temporal_crashed: 0,
    temporal_restarted: 0,
    postgres_restarted: 0,
    postgres_connections_terminated: 0,
  };
  readonly timeline: { at: number; fault: RunnerFault; detail?: string }[] = [];
  private stopped = false;
  private readonly loops: Promise<void>[] = [];
  private readonly workersDown = new Set<number>();
  private readonly revivals = new Set<Promise<void>>();
  /** While a gateway fault is being forced, outages wait: with Temporal or PostgreSQL down no gateway call would come to meet it. */
  private forcingGatewayFault = false;

  constructor(
    private readonly stack: ChaosStack,
    private readonly plan: FaultPlan,
    private readonly random: () => number,
    private readonly log: (message: string) => void,
  ) {}

  start(): void {
    this.loops.push(this.outageLoop(), this.workerKillLoop(), this.killAfterChargeLoop(), this.gatewayTopUpLoop());
  }

  /** Stops injecting and waits until every process is back. */
  async stop(): Promise<void> {
    this.stopped = true;
    await Promise.all(this.loops);
    await Promise.all(this.revivals);
    for (const slot of this.stack.workerSlots()) if (!this.stack.isRunning(`worker-${slot}`)) await this.stack.startWorker(slot);
    if (!this.stack.isRunning('api')) await this.stack.startApi();
    // A slow machine may end a short load before every outage kind came round: the missing ones
    // happen now, while the last payments, refunds and deliveries are still in flight.
    for (const fault of this.availableOutages()) {
      if (this.injected[fault] > 0) continue;
      try {
        await this.inject(fault);
      } catch (error) {
        this.log(`fault ${fault} could not be completed: ${(error as Error).message}`);
      }
    }
  }

  private availableOutages(): OutageFault[] {
    return OUTAGES.filter((fault) => !(this.stack.externalDatabase && fault === 'postgres_restarted'));
  }

  private record(fault: RunnerFault, detail?: string): void {
    this.injected[fault]++;
    this.timeline.push({ at: Date.now(), fault, detail });
    this.log(`fault: ${fault}${detail ? ` (${detail})` : ''}`);
  }

  private between([low, high]: [number, number]): number {
    return low + Math.floor(this.random() * (high - low));
  }

  /** Sleeps in short steps so stop() is not held up by a long pause. */
  private async pause(ms: number): Promise<void> {
    const until = Date.now() + ms;
    while (!this.stopped && Date.now() < until) await new Promise((resolve) => setTimeout(resolve, Math.min(250, until - Date.now())));
  }

  private async outageLoop(): Promise<void> {
    const available = this.availableOutages();
    let round: OutageFault[] = [];
    while (!this.stopped) {
      await this.pause(this.between(this.plan.outageEveryMs));
      if (this.stopped) break;
      while (this.forcingGatewayFault && !this.stopped) await this.pause(250);
      if (this.stopped) break;
      if (round.length === 0) round = [...available].sort(() => this.random() - 0.5);
      const fault = round.shift() as OutageFault;
      try {
        await this.inject(fault);
      } catch (error) {
        this.log(`fault ${fault} could not be completed: ${(error as Error).message}`);
      }
    }
  }

  private async inject(fault: OutageFault): Promise<void> {
    switch (fault) {
      case 'api_killed':
        this.record(fault);
        await this.stack.killApi();
        await this.stack.startApi();
        return;
      case 'api_stopped':
        // A deploy: SIGTERM, requests in flight finish, then a new process.
        this.record(fault);
        await this.stack.stopApi();
        await this.stack.startApi();
        return;
      case 'temporal_crashed':
        this.record(fault);
        await this.stack.restartTemporal(true);
        return;
      case 'temporal_restarted':
        this.record(fault);
        await this.stack.restartTemporal(false);
        return;
      case 'postgres_restarted':
        this.record(fault);
        await this.stack.restartPostgres();
        return;
      case 'postgres_connections_terminated': {
        const terminated = await this.stack.terminateConnections();
        this.record(fault, `${terminated} connections`);
      }
    }
  }

  private async workerKillLoop(): Promise<void> {
    while (!this.stopped) {
      await this.pause(this.between(this.plan.workerKillEveryMs));
      if (this.stopped) break;
      const slot = this.stack.workerSlots()[Math.floor(this.random() * this.stack.workerSlots().length)];
      if (this.workersDown.has(slot)) continue;
      this.record('worker_killed', `worker ${slot}`);
      await this.killAndRevive(slot);
    }
  }

  /**
   * The worst moment for a worker to die: the sandbox has recorded the charge and is holding its
   * answer back (a `slow` fault, written before the wait). The worker that holds it is killed.
   */
  private async killAfterChargeLoop(): Promise<void> {
    let client: PgClient | undefined;
    let lastSeen = 0;
    let lastKillAt = 0;
    while (!this.stopped) {
      await this.pause(200);
      try {
        if (!client) {
          client = new PgClient({ connectionString: this.stack.databaseUrl });
          client.on('error', () => undefined);
          await client.connect();
          const [row] = (await client.query<{ max: string | null }>(`select max(id) as max from sandbox_faults`)).rows;
          lastSeen = Number(row.max ?? 0);
        }
        const rows = (
          await client.query<{ id: string; pid: number; operation: string }>(
            `select id, pid, operation from sandbox_faults where kind = 'slow' and id > $1 and created_at > now() - interval '1 second' order by id`,
            [lastSeen],
          )
        ).rows;
        for (const row of rows) lastSeen = Math.max(lastSeen, Number(row.id));
        // Not every one: a worker that dies every few seconds would leave the others nothing to do.
        const victim = rows.find((row) => row.operation === 'authorize' || row.operation === 'capture' || row.operation === 'refund');
        if (!victim || Date.now() - lastKillAt < this.plan.workerKillEveryMs[0]) continue;
        const slot = this.stack.workerSlotOfPid(victim.pid);
        if (slot === undefined || this.workersDown.has(slot)) continue;
        lastKillAt = Date.now();
        this.record('worker_killed_after_charge', `worker ${slot}, ${victim.operation} recorded, answer held back`);
        const revival = this.killAndRevive(slot).finally(() => this.revivals.delete(revival));
        this.revivals.add(revival);
      } catch {
        // Postgres is being restarted or dropped this connection: a new one on a later round.
        await client?.end().catch(() => undefined);
        client = undefined;
        await this.pause(1_000);
      }
    }
    await client?.end().catch(() => undefined);
  }

  /**
   * Once, part-way into the load: each gateway fault kind the workers' random draws have not yet
   * produced is forced. A worker is killed and started again with that fault certain
   * (SANDBOX_FAULTS=<kind>:1) until the sandbox records one (at most 30 s, outages held back
   * meanwhile), then killed and started with the run's own settings. Each restart counts as a
   * worker kill.
   */
  private async gatewayTopUpLoop(): Promise<void> {
    await this.pause(this.plan.gatewayTopUpAfterMs);
    const counter = new SandboxFaultCounter(this.stack.databaseUrl);
    try {
      for (const kind of SANDBOX_FAULT_KINDS) {
        let seen = await counter.count(kind);
        // PostgreSQL may be restarting just now: ask again rather than skip the kind.
        while (seen === undefined && !this.stopped) {
          await this.pause(1_000);
          seen = await counter.count(kind);
        }
        if (this.stopped || seen !== 0) continue;
        const slot = this.stack.workerSlots().find((candidate) => !this.workersDown.has(candidate));
        if (slot === undefined) continue;
        this.workersDown.add(slot);
        this.forcingGatewayFault = true;
        try {
          this.record('worker_killed', `worker ${slot}, restarted with gateway fault ${kind} forced`);
          await this.stack.killWorker(slot);
          await this.stack.startWorker(slot, { SANDBOX_FAULTS: `${kind}:1` });
          const until = Date.now() + 30_000;
          while (!this.stopped && Date.now() < until && !((await counter.count(kind)) ?? 0)) await this.pause(250);
        } catch (error) {
          this.log(`forcing gateway fault ${kind} could not be completed: ${(error as Error).message}`);
        } finally {
          // Whatever happened, the worker goes back to the run's own settings.
          this.record('worker_killed', `worker ${slot}, back to the run's gateway faults`);
          await this.stack.killWorker(slot).catch(() => undefined);
          await this.stack.startWorker(slot).catch((error) => this.log(`worker ${slot} did not start again: ${(error as Error).message}`));
          this.workersDown.delete(slot);
          this.forcingGatewayFault = false;
        }
      }
    } finally {
      await counter.close();
    }
  }

  private async killAndRevive(slot: number): Promise<void> {
    this.workersDown.add(slot);
    try {
      await this.stack.killWorker(slot);
      await this.pause(this.between(this.plan.workerDownMs));
      await this.stack.startWorker(slot);
    } finally {
      this.workersDown.delete(slot);
    }
  }
}

/** Counts the sandbox's recorded faults of one kind over a connection that is opened again after Postgres restarts or drops it. */
class SandboxFaultCounter {
  private client: PgClient | undefined;

  constructor(private readonly databaseUrl: string) {}

  /** The count, or undefined while PostgreSQL cannot answer (the next call tries a new connection). */
  async count(kind: SandboxFaultKind): Promise<number | undefined> {
    try {
      if (!this.client) {
        const client = new PgClient({ connectionString: this.databaseUrl });
        client.on('error', () => undefined);
        this.client = client;
        await client.connect();
      }
      return Number((await this.client.query<{ n: string }>(`select count(*) as n from sandbox_faults where kind = $1`, [kind])).rows[0].n);
    } catch {
      await this.close();
      return undefined;
    }
  }

  async close(): Promise<void> {
    const client = this.client;
    this.client = undefined;
    await client?.end().catch(() => undefined);
  }
}
