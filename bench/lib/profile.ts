import fs from 'node:fs';

/** Reads a V8 .cpuprofile (node --cpu-prof) and totals self time per function and per package. */
interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
}
interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}
interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

export interface ProfileSummary {
  totalMs: number;
  idleMs: number;
  functions: Array<{ name: string; where: string; selfMs: number; share: number }>;
  packages: Array<{ name: string; selfMs: number; share: number }>;
}

/** node_modules/<pkg> (or @scope/pkg), "node:internal", "fieldbook src", or a V8 pseudo-frame. */
function packageOf(frame: CallFrame): string {
  const url = frame.url;
  if (!url) return frame.functionName.startsWith('(') ? frame.functionName : '(native / V8 builtins)';
  const nm = url.lastIndexOf('node_modules/');
  if (nm >= 0) {
    const rest = url.slice(nm + 'node_modules/'.length).split('/');
    return rest[0].startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0];
  }
  if (url.startsWith('node:')) return 'node core';
  if (url.includes('/src/')) return 'fieldbook src';
  return url;
}

function shortUrl(url: string): string {
  if (!url) return '';
  const nm = url.lastIndexOf('node_modules/');
  if (nm >= 0) return url.slice(nm + 'node_modules/'.length);
  const src = url.indexOf('/src/');
  if (src >= 0) return url.slice(src + 1);
  return url.replace(/^file:\/\//, '');
}

/**
 * windowMs: only the last windowMs of the profile (the measured run and shutdown), so process
 * start-up (module loading, template compilation, key generation) does not count.
 */
export function summarizeProfile(file: string, options: { top?: number; windowMs?: number } = {}): ProfileSummary {
  const top = options.top ?? 20;
  const profile = JSON.parse(fs.readFileSync(file, 'utf8')) as CpuProfile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const selfUs = new Map<number, number>();
  const fromUs = options.windowMs ? profile.endTime - options.windowMs * 1000 : -Infinity;
  // timeDeltas[i] is the time before sample i; attribute it to that sample's node.
  let at = profile.startTime;
  for (let i = 0; i < profile.samples.length; i++) {
    const delta = Math.max(0, profile.timeDeltas[i] ?? 0);
    at += delta;
    if (at < fromUs) continue;
    const id = profile.samples[i];
    selfUs.set(id, (selfUs.get(id) ?? 0) + delta);
  }
  const fn = new Map<string, { name: string; where: string; us: number }>();
  const pkg = new Map<string, number>();
  let totalUs = 0;
  let idleUs = 0;
  for (const [id, us] of selfUs) {
    const node = byId.get(id);
    if (!node) continue;
    const frame = node.callFrame;
    totalUs += us;
    if (frame.functionName === '(idle)') {
      idleUs += us;
      continue;
    }
    const where = frame.url ? `${shortUrl(frame.url)}:${frame.lineNumber + 1}` : '';
    const key = `${frame.functionName}|${where}`;
    const entry = fn.get(key) ?? { name: frame.functionName || '(anonymous)', where, us: 0 };
    entry.us += us;
    fn.set(key, entry);
    const p = packageOf(frame);
    pkg.set(p, (pkg.get(p) ?? 0) + us);
  }
  const busyUs = totalUs - idleUs || 1;
  return {
    totalMs: totalUs / 1000,
    idleMs: idleUs / 1000,
    functions: [...fn.values()]
      .sort((a, b) => b.us - a.us)
      .slice(0, top)
      .map((f) => ({ name: f.name, where: f.where, selfMs: f.us / 1000, share: f.us / busyUs })),
    packages: [...pkg.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, 12)
      .map(([name, us]) => ({ name, selfMs: us / 1000, share: us / busyUs })),
  };
}

export function formatProfileSummary(s: ProfileSummary): string {
  const pct = (x: number) => `${(x * 100).toFixed(1)}%`;
  return [
    `Sampled ${(s.totalMs / 1000).toFixed(1)} s of the main thread, ${(s.idleMs / 1000).toFixed(1)} s idle (waiting on I/O: the database runs in FerretDB, a separate process). Shares are of busy time.`,
    '',
    '| package | self time | share |',
    '|---|---|---|',
    ...s.packages.map((p) => `| ${p.name} | ${p.selfMs.toFixed(0)} ms | ${pct(p.share)} |`),
    '',
    '| function | where | self time | share |',
    '|---|---|---|---|',
    ...s.functions.map((f) => `| ${f.name.replace(/\|/g, '\\|')} | ${f.where} | ${f.selfMs.toFixed(0)} ms | ${pct(f.share)} |`),
  ].join('\n');
}

/** CLI: tsx bench/lib/profile.ts <file.cpuprofile> [last-N-ms] */
if (require.main === module) {
  const file = process.argv[2];
  if (!file) {
    process.stderr.write('usage: tsx bench/lib/profile.ts <file.cpuprofile>\n');
    process.exit(2);
  }
  const windowMs = process.argv[3] ? Number(process.argv[3]) : undefined;
  process.stdout.write(`${formatProfileSummary(summarizeProfile(file, { windowMs }))}\n`);
}
