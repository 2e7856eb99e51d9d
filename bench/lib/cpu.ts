// CPU time spent on a workload, for comparisons that hold on a busy machine: wall-clock
// throughput swings with other tenants' load, CPU seconds per unit of work much less so.
// PostgreSQL backends are found by their process title, which names the database (Linux /proc).
import { readdirSync, readFileSync } from 'node:fs';

const TICKS_PER_MS = 100 / 1000; // USER_HZ is 100 on Linux

function backendTicks(database: string): number {
  let ticks = 0;
  for (const pid of readdirSync('/proc')) {
    if (!/^\d+$/.test(pid)) continue;
    try {
      const title = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
      if (!title.startsWith('postgres: ') || !title.split(' ').includes(database)) continue;
      const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
      ticks += Number(fields[11]) + Number(fields[12]); // utime + stime
    } catch {
      // the process ended between listing and reading
    }
  }
  return ticks;
}

/** Starts a meter of this process's CPU and that of the backends serving `database`. */
export function cpuMeter(database: string) {
  const node0 = process.cpuUsage();
  const pg0 = backendTicks(database);
  return () => {
    const node = process.cpuUsage(node0);
    return { nodeMs: (node.user + node.system) / 1000, postgresMs: (backendTicks(database) - pg0) / TICKS_PER_MS };
  };
}
