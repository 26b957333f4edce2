import { execFileSync } from 'node:child_process';
import fs from 'node:fs';

/**
 * CPU time (user + system) of a process and its descendants, from /proc (Linux only):
 * tells apart the tool's Node process and the FerretDB it spawned.
 */
let clockTicks: number | null = null;
function ticksPerSecond(): number {
  if (clockTicks === null) {
    try {
      clockTicks = Number(execFileSync('getconf', ['CLK_TCK']).toString().trim()) || 100;
    } catch {
      clockTicks = 100;
    }
  }
  return clockTicks;
}

interface ProcStat {
  pid: number;
  ppid: number;
  comm: string;
  cpuMs: number;
}

function readStat(pid: number): ProcStat | null {
  try {
    const raw = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const close = raw.lastIndexOf(')');
    const comm = raw.slice(raw.indexOf('(') + 1, close);
    const fields = raw.slice(close + 2).split(' ');
    // fields[0] is state (field 3); ppid is field 4, utime 14, stime 15.
    const ppid = Number(fields[1]);
    const ticks = Number(fields[11]) + Number(fields[12]);
    return { pid, ppid, comm, cpuMs: (ticks / ticksPerSecond()) * 1000 };
  } catch {
    return null;
  }
}

/** CPU ms by process name for rootPid and everything below it (e.g. { node: 1234, 'ferretdb-launch': 2345 }). */
export function cpuByProcess(rootPid: number | undefined): Record<string, number> {
  if (!rootPid || !fs.existsSync('/proc')) return {};
  const all = fs
    .readdirSync('/proc')
    .filter((d) => /^\d+$/.test(d))
    .map((d) => readStat(Number(d)))
    .filter((s): s is ProcStat => s !== null);
  const children = new Map<number, ProcStat[]>();
  for (const s of all) children.set(s.ppid, [...(children.get(s.ppid) ?? []), s]);
  const out: Record<string, number> = {};
  const root = all.find((s) => s.pid === rootPid);
  const stack = root ? [root] : [];
  while (stack.length) {
    const s = stack.pop()!;
    const name = s.comm.startsWith('ferretdb') ? 'ferretdb' : s.comm;
    out[name] = (out[name] ?? 0) + s.cpuMs;
    stack.push(...(children.get(s.pid) ?? []));
  }
  return out;
}

export function cpuDelta(before: Record<string, number>, after: Record<string, number>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(after)) out[k] = v - (before[k] ?? 0);
  return out;
}
