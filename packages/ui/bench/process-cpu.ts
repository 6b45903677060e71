// CPU time (user + system) of a Chromium and all its child processes (renderer, GPU, network…),
// read from /proc. On a machine shared with other work, wall time grows with the load while CPU
// time stays about what the work costs, so the bench reports both.
import { readdirSync, readFileSync } from 'node:fs';

const TICK_MS = 10; // USER_HZ is 100 on Linux

interface ProcStat {
  pid: number;
  ppid: number;
  cpuTicks: number;
}

function readStat(pid: number): ProcStat | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // the command name (field 2) may hold spaces and parentheses: fields start after the last ')'
    const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
    return { pid, ppid: Number(fields[1]), cpuTicks: Number(fields[11]) + Number(fields[12]) };
  } catch {
    return undefined; // the process ended meanwhile
  }
}

function cmdline(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8');
  } catch {
    return '';
  }
}

/** CPU ms used so far by the Chromium started with `--user-data-dir=<profile>` and its children. */
export function chromiumCpuMs(profile: string): number {
  const stats = readdirSync('/proc')
    .filter((d) => /^\d+$/.test(d))
    .map((d) => readStat(Number(d)))
    .filter((s): s is ProcStat => s !== undefined);
  const roots = stats.filter((s) => cmdline(s.pid).includes(`--user-data-dir=${profile}\0`));
  const children = new Map<number, ProcStat[]>();
  for (const s of stats) children.set(s.ppid, [...(children.get(s.ppid) ?? []), s]);
  const seen = new Set<number>();
  let ticks = 0;
  const todo = [...roots];
  while (todo.length > 0) {
    const s = todo.pop()!;
    if (seen.has(s.pid)) continue;
    seen.add(s.pid);
    ticks += s.cpuTicks;
    todo.push(...(children.get(s.pid) ?? []));
  }
  if (seen.size === 0) throw new Error(`no Chromium process with --user-data-dir=${profile}`);
  return ticks * TICK_MS;
}

/** CPU ms used so far by this process (the in-process collector serving the UI included). */
export function ownCpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}
