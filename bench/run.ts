/**
 * Fieldbook benchmarks (see bench/README.md).
 *
 *   npm run bench                 full: 200 concurrent launches per tool, CPU profile, 2,000 scores
 *   npm run bench -- --quick      CI: 20 launches, 50 scores, no profile (< 60 s, exits 0 whatever the numbers)
 *
 * Options: --launches N --concurrency N --scores N --score-concurrency N --no-profile --no-grades --no-launches --no-load --no-build
 * The tools and the grade process run from the compiled build (dist/, emitted first by tsc), not through tsx.
 * Exits non-zero only on a script error or a failed launch / score.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { runLaunches, type LaunchRunResult, type Tool } from './lib/launch';
import { startBenchPlatform, type BenchPlatform } from './lib/platform';
import { childEnv, cleanup, freePort, installCleanupHandlers, makeTempDir, ROOT, runChild, startChild, waitForHttp, type Child } from './lib/procs';
import { cpuByProcess, cpuDelta } from './lib/cpu';
import { summarizeProfile, formatProfileSummary } from './lib/profile';
import { ms } from './lib/stats';
import type { GradeBenchResult } from './grades';
import { formatLoadReport, runLoadBench } from './load';

const { values: args } = parseArgs({
  args: process.argv.slice(2),
  options: {
    quick: { type: 'boolean', default: false },
    launches: { type: 'string' },
    concurrency: { type: 'string' },
    scores: { type: 'string' },
    'score-concurrency': { type: 'string' },
    learners: { type: 'string' },
    'no-profile': { type: 'boolean', default: false },
    'no-grades': { type: 'boolean', default: false },
    'no-load': { type: 'boolean', default: false },
    'no-launches': { type: 'boolean', default: false },
    'no-build': { type: 'boolean', default: false },
    json: { type: 'string' },
  },
});

const quick = args.quick ?? false;
const int = (v: string | undefined, fallback: number) => {
  if (v === undefined) return fallback;
  const n = Number(v);
  if (!Number.isInteger(n) || n <= 0) throw new Error(`expected a positive integer, got ${v}`);
  return n;
};
const concurrency = int(args.concurrency, quick ? 20 : 200);
const launches = int(args.launches, concurrency);
const warmup = quick ? 5 : 20;
const scores = int(args.scores, quick ? 50 : 2000);
const scoreConcurrency = int(args['score-concurrency'], 8);
const learners = int(args.learners, quick ? 8 : 40);
const profile = !quick && !args['no-profile'];
const log = (line: string) => process.stdout.write(`[bench] ${line}\n`);

const PROFILE_DIR = path.join(ROOT, 'bench', 'profiles');

/** A TypeScript entry point's compiled file in dist/ (tsconfig.bench.json: rootDir is the project). */
const compiled = (entry: string) => path.join('dist', entry.replace(/\.ts$/, '.js'));

/**
 * Emits the compiled build the tools run from: what `npm run build` emits for src/, plus the bench
 * entry points (tsconfig.bench.json). --noCheck: the same emit without the type check, which is
 * npm test's job and would double the time of a quick run here.
 */
async function buildCompiled(): Promise<void> {
  const started = Date.now();
  await runChild('tsc -p tsconfig.bench.json', [require.resolve('typescript/bin/tsc'), '-p', 'tsconfig.bench.json', '--noCheck'], childEnv({}), 300_000);
  log(`compiled build emitted to dist/ in ${((Date.now() - started) / 1000).toFixed(1)} s`);
}

function fieldbookEnv(port: number, dataDir: string): NodeJS.ProcessEnv {
  return childEnv({
    NODE_ENV: 'development',
    PORT: String(port),
    PUBLIC_URL: `http://127.0.0.1:${port}`,
    DATA_DIR: dataDir,
    LOG_LEVEL: 'warn',
    SANDBOX_ENABLED: 'true',
    LTI_RATE_LIMIT_PER_MINUTE: '0',
    // Templates compiled once, as in production (development recompiles them per render so edits
    // show without a restart); bare ltijs renders no template. See README "Modes".
    VIEW_CACHE: 'true',
  });
}

async function registerInFieldbook(platform: BenchPlatform, env: NodeJS.ProcessEnv): Promise<void> {
  // Equivalent of `npm run platform:register -- …` (npm adds nothing but a shell).
  await runChild(
    'platform:register',
    [
      compiled('src/lti/register-platform.cli.ts'),
      '--issuer', platform.issuer,
      '--client-id', platform.clientId,
      '--auth-url', platform.authEndpoint,
      '--token-url', platform.tokenEndpoint,
      '--jwks-url', platform.jwksUrl,
      '--deployment-id', platform.deploymentId,
      '--name', 'Bench platform',
    ],
    env,
  );
}

async function startFieldbookChild(port: number, dataDir: string, extraNodeArgs: string[] = []): Promise<Child> {
  const child = startChild('fieldbook', [...extraNodeArgs, compiled('src/server.ts')], fieldbookEnv(port, dataDir));
  await waitForHttp(`http://127.0.0.1:${port}/health`, child);
  return child;
}

async function startBareChild(port: number, dataDir: string, platform: BenchPlatform): Promise<Child> {
  const env = childEnv({
    PORT: String(port),
    DATA_DIR: dataDir,
    BENCH_PLATFORM: JSON.stringify({ issuer: platform.issuer, clientId: platform.clientId, authEndpoint: platform.authEndpoint, tokenEndpoint: platform.tokenEndpoint, jwksUrl: platform.jwksUrl }),
  });
  const child = startChild('bare-ltijs', [compiled('bench/bare-ltijs.ts')], env);
  const deadline = Date.now() + 120_000;
  while (!child.output().includes('BARE_LTIJS_READY')) {
    if (child.proc.exitCode !== null) throw new Error(`bare-ltijs exited (${child.proc.exitCode}):\n${child.output().slice(-4000)}`);
    if (Date.now() > deadline) throw new Error(`bare-ltijs did not start:\n${child.output().slice(-4000)}`);
    await new Promise((r) => setTimeout(r, 200));
  }
  return child;
}

/** Error lines a tool logged while it was measured, keyed by tool name (why launches failed). */
const toolLogErrors = new Map<string, string[]>();

/** pino error lines (level ≥ 50) as "msg: err.message [ref]"; other output is ltijs's debug text, kept short. */
function errorLogLines(output: string, max = 5): string[] {
  const found: string[] = [];
  for (const line of output.split('\n')) {
    if (found.length >= max) break;
    if (!line.trim()) continue;
    try {
      const entry = JSON.parse(line) as { level?: number; msg?: string; err?: { type?: string; message?: string }; reference?: string; error?: string };
      if ((entry.level ?? 0) < 50) continue;
      found.push([entry.msg, entry.err ? `${entry.err.type ?? 'Error'}: ${entry.err.message ?? ''}` : undefined, entry.error, entry.reference].filter(Boolean).join(' · ').slice(0, 300));
    } catch {
      if (/error/i.test(line)) found.push(line.trim().slice(0, 300));
    }
  }
  return found;
}

function fieldbookTool(port: number): Tool {
  const base = `http://127.0.0.1:${port}`;
  return { name: 'Fieldbook', baseUrl: base, loginUrl: `${base}/lti/login`, launchUrl: `${base}/lti/launch`, expectText: 'Bench Learner' };
}

function bareTool(port: number): Tool {
  const base = `http://127.0.0.1:${port}`;
  return { name: 'bare ltijs', baseUrl: base, loginUrl: `${base}/login`, launchUrl: `${base}/`, expectText: 'hello' };
}

function launchRow(r: LaunchRunResult): string {
  return `| ${r.tool} | ${r.ok}/${r.launches} | ${r.concurrency} | ${r.launchesPerSecond.toFixed(1)} | ${ms(r.latency.p50)} | ${ms(r.latency.p95)} | ${ms(r.latency.p99)} | ${r.errors} |`;
}

function stepsRow(r: LaunchRunResult): string {
  const s = r.steps;
  return `| ${r.tool} | ${ms(s.login.p50)} / ${ms(s.login.p95)} | ${ms(s.sign.p50)} / ${ms(s.sign.p95)} | ${ms(s.post.p50)} / ${ms(s.post.p95)} | ${ms(s.page.p50)} / ${ms(s.page.p95)} |`;
}

interface Report {
  machine: { cpus: number; cpuModel: string; node: string; platform: string; memoryGb: number };
  mode: string;
  launches?: { bare: LaunchRunResult; fieldbook: LaunchRunResult; ratio: { throughput: number; p50: number; p95: number; p99: number } };
  profile?: string;
  grades?: GradeBenchResult;
  /** CPU time per successful launch during the measured runs, by process. */
  cpu: Array<{ tool: string; toolNodeMs: number; ferretdbMs: number; driverMs: number }>;
}

async function launchBenchmark(report: Report): Promise<boolean> {
  const platform = await startBenchPlatform();
  try {
    const [fbPort, barePort] = await Promise.all([freePort(), freePort()]);
    const fbDir = makeTempDir('fieldbook-bench-');
    const bareDir = makeTempDir('bare-ltijs-bench-');
    log(`registering the bench platform in Fieldbook (DATA_DIR ${fbDir})`);
    await registerInFieldbook(platform, fieldbookEnv(fbPort, fbDir));
    log('starting Fieldbook and bare ltijs');
    let fieldbook = await startFieldbookChild(fbPort, fbDir);
    const bare = await startBareChild(barePort, bareDir, platform);
    const fbTool = fieldbookTool(fbPort);
    const bTool = bareTool(barePort);

    log(`warm-up: ${warmup} launches each`);
    for (const tool of [bTool, fbTool]) {
      const w = await runLaunches(tool, platform, { launches: warmup, concurrency: Math.min(5, warmup), userOffset: 1_000_000 });
      if (w.errors) throw new Error(`${tool.name} warm-up launches failed: ${w.errorSamples.join(' | ')}`);
    }

    log(`measuring: ${launches} launches, ${concurrency} concurrent users, one tool at a time`);
    const measure = async (tool: Tool, child: Child) => {
      const logFrom = child.output().length;
      const before = cpuByProcess(child.proc.pid);
      const driverBefore = process.cpuUsage();
      const result = await runLaunches(tool, platform, { launches, concurrency });
      const driver = process.cpuUsage(driverBefore);
      const cpu = cpuDelta(before, cpuByProcess(child.proc.pid));
      const perLaunch = (v: number) => v / Math.max(1, result.ok);
      report.cpu.push({
        tool: tool.name,
        toolNodeMs: perLaunch(cpu.node ?? 0),
        ferretdbMs: perLaunch(cpu.ferretdb ?? 0),
        driverMs: perLaunch((driver.user + driver.system) / 1000),
      });
      log(launchRow(result));
      if (result.errors) toolLogErrors.set(tool.name, errorLogLines(child.output().slice(logFrom)));
      return result;
    };
    const bareResult = await measure(bTool, bare);
    const fbResult = await measure(fbTool, fieldbook);
    await bare.stop();

    report.launches = {
      bare: bareResult,
      fieldbook: fbResult,
      ratio: {
        throughput: bareResult.launchesPerSecond / fbResult.launchesPerSecond,
        p50: fbResult.latency.p50 / bareResult.latency.p50,
        p95: fbResult.latency.p95 / bareResult.latency.p95,
        p99: fbResult.latency.p99 / bareResult.latency.p99,
      },
    };

    if (profile) {
      log('profiling: restarting Fieldbook with --cpu-prof for one more launch run');
      await fieldbook.stop();
      fs.mkdirSync(PROFILE_DIR, { recursive: true });
      const before = new Set(fs.readdirSync(PROFILE_DIR));
      fieldbook = await startFieldbookChild(fbPort, fbDir, ['--cpu-prof', '--cpu-prof-dir', PROFILE_DIR]);
      await runLaunches(fbTool, platform, { launches: warmup, concurrency: Math.min(5, warmup), userOffset: 2_000_000 });
      const profileFrom = performance.now();
      const profileLogFrom = fieldbook.output().length;
      const profiled = await runLaunches(fbTool, platform, { launches, concurrency, userOffset: 3_000_000 });
      log(`profiled run: ${launchRow(profiled)}`);
      const profiledErrors = profiled.errors ? [...profiled.errorSamples, ...errorLogLines(fieldbook.output().slice(profileLogFrom))] : [];
      await fieldbook.stop();
      const windowMs = performance.now() - profileFrom;
      const written = fs
        .readdirSync(PROFILE_DIR)
        .filter((f) => f.endsWith('.cpuprofile') && !before.has(f))
        .map((f) => path.join(PROFILE_DIR, f))
        .sort((a, b) => fs.statSync(b).size - fs.statSync(a).size);
      if (written.length === 0) throw new Error('the profiled Fieldbook wrote no .cpuprofile');
      report.profile = [
        `Profile: ${path.relative(ROOT, written[0])}, last ${(windowMs / 1000).toFixed(1)} s only (the profiled launch run and shutdown; start-up excluded).`,
        `Profiled run (slower: the profiler costs time): ${profiled.launchesPerSecond.toFixed(1)} launches/s, p95 ${ms(profiled.latency.p95)}, ${profiled.errors} errors${profiledErrors.length ? ` (${profiledErrors.join(' | ')})` : ''}.`,
        '',
        formatProfileSummary(summarizeProfile(written[0], { windowMs })),
      ].join('\n');
    } else {
      await fieldbook.stop();
    }
    return bareResult.errors === 0 && fbResult.errors === 0;
  } finally {
    await platform.close();
  }
}

async function gradeBenchmark(report: Report): Promise<boolean> {
  report.grades = {};
  // Each scenario in its own process and database: faculty grading is measured on an outbox that a
  // 2,000-grade burst has not just filled (on the embedded FerretDB every outbox query but one by _id
  // reads the whole collection).
  for (const only of ['queued', 'prequeued', 'form'] as const) {
    log(`grade passback (${only}): ${scores} scores, ${learners} learners, concurrency ${scoreConcurrency} (separate process)`);
    const out = await runChild(
      `grades ${only}`,
      [compiled('bench/grades.ts'), '--only', only, '--scores', String(scores), '--concurrency', String(scoreConcurrency), '--learners', String(learners)],
      childEnv({ LOG_LEVEL: 'warn' }),
      45 * 60_000,
    );
    const line = out.split('\n').find((l) => l.startsWith('GRADES_RESULT '));
    if (!line) throw new Error(`the grade benchmark printed no result:\n${out.slice(-4000)}`);
    Object.assign(report.grades, JSON.parse(line.slice('GRADES_RESULT '.length)) as GradeBenchResult);
  }
  const { queued, prequeued, form } = report.grades;
  const isBurstOk = (q: typeof queued) => !q || (q.failed === 0 && q.unfinished === 0);
  return isBurstOk(queued) && isBurstOk(prequeued) && (!form || form.errors === 0);
}

function printReport(report: Report): void {
  const lines: string[] = ['', `## Results (${report.mode})`, '', `Machine: ${report.machine.cpus} × ${report.machine.cpuModel}, ${report.machine.memoryGb} GB RAM, Node ${report.machine.node}, ${report.machine.platform}`, ''];
  if (report.launches) {
    const { bare, fieldbook, ratio } = report.launches;
    lines.push(
      '### Launch round trip (login → id_token → launch POST → first page)',
      '',
      '| tool | ok | concurrent users | launches/s | p50 | p95 | p99 | errors |',
      '|---|---|---|---|---|---|---|---|',
      launchRow(bare),
      launchRow(fieldbook),
      '',
      `Fieldbook / bare: throughput ${ratio.throughput.toFixed(2)}× slower, p50 ${ratio.p50.toFixed(2)}×, p95 ${ratio.p95.toFixed(2)}×, p99 ${ratio.p99.toFixed(2)}× (goal ≤ 1.25×: ${ratio.throughput <= 1.25 && ratio.p95 <= 1.25 ? 'met' : 'NOT met'})`,
      '',
      'Per step, p50 / p95:',
      '',
      '| tool | GET login | sign id_token (driver) | POST launch | GET first page |',
      '|---|---|---|---|---|',
      stepsRow(bare),
      stepsRow(fieldbook),
      '',
    );
    if (report.cpu.length) {
      lines.push(
        'CPU time per launch during the measured runs (from /proc; 2 cores shared by all three):',
        '',
        '| tool | tool Node process | its FerretDB | bench driver (client + JWKS + signing) |',
        '|---|---|---|---|',
        ...report.cpu.map((c) => `| ${c.tool} | ${c.toolNodeMs.toFixed(1)} ms | ${c.ferretdbMs.toFixed(1)} ms | ${c.driverMs.toFixed(1)} ms |`),
        '',
      );
    }
    for (const r of [bare, fieldbook]) {
      if (r.errorSamples.length) lines.push(`${r.tool} errors: ${r.errorSamples.join(' | ')}`, '');
      const logged = toolLogErrors.get(r.tool);
      if (logged?.length) lines.push(`${r.tool} logged during the run: ${logged.join(' | ')}`, '');
    }
  }
  for (const q of [report.grades?.queued, report.grades?.prequeued]) {
    if (!q) continue;
    lines.push(
      q.isPrequeued
        ? `### Grade passback, ${q.scores} grades already queued (recorded first in ${ms(q.enqueueMs)}; then the background sender starts and drains them)`
        : `### Grade passback, deadline burst (${q.scores} changes recorded in the outbox over ${q.assignments} assignments × ${q.learners} candidates, ${q.concurrency} at a time; the background sender drains them)`,
      '',
      '| scores | sent | failed | not finished | burst recorded in | all sent after | scores/s | change → received p50 | p95 | p99 | token requests | service calls per score |',
      '|---|---|---|---|---|---|---|---|---|---|---|---|',
      `| ${q.scores} | ${q.sent} | ${q.failed} | ${q.unfinished} | ${ms(q.enqueueMs)} | ${ms(q.drainMs)} | ${q.scoresPerSecond.toFixed(1)} | ${ms(q.latency.p50)} | ${ms(q.latency.p95)} | ${ms(q.latency.p99)} | ${q.tokenRequests} | ${q.serviceCallsPerScore} |`,
      '',
    );
    if (q.cpuMsPerGrade) lines.push(`CPU per grade while draining: ${q.cpuMsPerGrade.node.toFixed(1)} ms in the Node process (sender + Sandbox), ${q.cpuMsPerGrade.ferretdb.toFixed(1)} ms in FerretDB`, '');
    if (q.errorSamples.length) lines.push(`refused: ${q.errorSamples.join(' | ')}`, '');
  }
  if (report.grades?.form) {
    const g = report.grades.form;
    lines.push(
      '### Grade passback, faculty grading one by one (POST /lti/scores: recorded in the outbox and sent at once)',
      '',
      '| scores | concurrency | ok | errors | scores/s | request → in gradebook p50 | p95 | p99 | token requests | service calls per score |',
      '|---|---|---|---|---|---|---|---|---|---|',
      `| ${g.scores} | ${g.concurrency} | ${g.ok} | ${g.errors} | ${g.scoresPerSecond.toFixed(1)} | ${ms(g.latency.p50)} | ${ms(g.latency.p95)} | ${ms(g.latency.p99)} | ${g.tokenRequests} during the run, ${g.tokenRequestsIncludingSetup} including the faculty launch and warm-up | ${g.serviceCallsPerScore} |`,
      '',
    );
    if (g.errorSamples.length) lines.push(`grade errors: ${g.errorSamples.join(' | ')}`, '');
  }
  if (report.profile) lines.push('### Where the time goes (Fieldbook CPU profile, self time)', '', report.profile, '');
  process.stdout.write(`${lines.join('\n')}\n`);
}

let loadReport = '';

async function main(): Promise<number> {
  installCleanupHandlers();
  const cpuModel = /model name\s*:\s*(.+)/.exec(fs.readFileSync('/proc/cpuinfo', 'utf8'))?.[1]?.trim() ?? os.cpus()[0]?.model ?? 'unknown';
  const report: Report = {
    machine: { cpus: os.availableParallelism(), cpuModel, node: process.version, platform: `${os.type()} ${os.release()}`, memoryGb: Math.round(os.totalmem() / 2 ** 30) },
    cpu: [],
    mode: `${quick ? 'quick' : 'full'}: ${args['no-launches'] ? 'no launches' : `${launches} launches at ${concurrency} concurrent users`}, ${args['no-grades'] ? 'no grades' : `${scores} scores`}`,
  };
  const started = Date.now();
  let ok = true;
  try {
    if (!args['no-build'] && !(args['no-launches'] && args['no-grades'])) await buildCompiled();
    if (!args['no-launches']) ok = (await launchBenchmark(report)) && ok;
    if (!args['no-grades']) ok = (await gradeBenchmark(report)) && ok;
    if (!args['no-load']) {
      // A class at a deadline (bench/load.ts): launches, then bursts of submits and autosaves, every record checked.
      const candidates = quick ? 10 : 100;
      const load = await runLoadBench({ candidates, submitsPer: 3, autosaves: candidates, launchLevels: quick ? [10] : [100, 300], log: (line) => log(`load: ${line}`) });
      loadReport = formatLoadReport(load);
      ok = load.isClean && ok;
    }
  } finally {
    await cleanup();
  }
  printReport(report);
  if (loadReport) process.stdout.write(`\n## A class at a deadline (bench/load.ts)\n\n${loadReport}\n`);
  if (args.json) fs.writeFileSync(args.json, JSON.stringify(report, null, 2));
  log(`done in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  if (!ok) log('some launches, scores or deadline requests FAILED');
  return ok ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  async (err: unknown) => {
    process.stderr.write(`[bench] error: ${(err as Error)?.stack ?? String(err)}\n`);
    await cleanup();
    process.exit(2);
  },
);
