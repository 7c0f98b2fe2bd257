import fs from 'node:fs';

const TICKS_PER_SECOND = 100;

/**
 * CPU seconds (user + system) a process has used, from /proc/<pid>/stat; with `reapedChildren`, also
 * what its exited children used (cutime + cstime: the kernel adds a child's time to its parent when
 * the parent reaps it).
 */
function cpuSeconds(pid: number, reapedChildren = false): number {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const own = Number(fields[11]) + Number(fields[12]);
    return (own + (reapedChildren ? Number(fields[13]) + Number(fields[14]) : 0)) / TICKS_PER_SECOND;
  } catch {
    return 0;
  }
}

/** The pids of a process's children: PostgreSQL's backends are children of its postmaster. */
function childrenOf(parent: number): number[] {
  return fs
    .readdirSync('/proc')
    .filter((entry) => /^\d+$/.test(entry))
    .map(Number)
    .filter((pid) => {
      try {
        const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
        return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === parent;
      } catch {
        return false;
      }
    });
}

export type CpuSnapshot = Record<string, number>;

/**
 * CPU seconds used so far by each named role. A role `withChildren` adds its live children and those
 * it has reaped: PostgreSQL's backends come and go with connections, and counting only the live ones
 * made its figure drop (even below zero) whenever a busy backend exited between two snapshots.
 */
export function snapshotCpu(roles: Record<string, { pid?: number; withChildren?: boolean; self?: boolean }>): CpuSnapshot {
  const snapshot: CpuSnapshot = {};
  for (const [name, role] of Object.entries(roles)) {
    if (role.self) {
      const usage = process.cpuUsage();
      snapshot[name] = (usage.user + usage.system) / 1e6;
    } else if (role.pid) {
      // The parent first: a child exiting in between is missed by this snapshot and found reaped by the
      // next, so a difference of two snapshots can only overcount that child's time, never fall.
      const parent = cpuSeconds(role.pid, role.withChildren);
      snapshot[name] = parent + (role.withChildren ? childrenOf(role.pid).reduce((sum, pid) => sum + cpuSeconds(pid), 0) : 0);
    }
  }
  return snapshot;
}

/** Milliseconds of CPU per completed operation, by role, between two snapshots. */
export function cpuPerOperation(before: CpuSnapshot, after: CpuSnapshot, operations: number): Record<string, number> {
  const result: Record<string, number> = {};
  let total = 0;
  for (const name of Object.keys(after)) {
    const ms = ((after[name] - (before[name] ?? 0)) * 1000) / Math.max(1, operations);
    result[name] = Math.round(ms * 100) / 100;
    total += ms;
  }
  result.total = Math.round(total * 100) / 100;
  return result;
}
