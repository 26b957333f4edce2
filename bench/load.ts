/**
 * A class at a deadline (issue 11), measured against Fieldbook as a child process — the compiled
 * build as production runs it (`node dist/src/server.js`, built here first with `npm run build`;
 * VIEW_CACHE on), or with --tsx the sources as `npm start` runs them — on one embedded FerretDB
 * that this script starts and shares with it, so the records can be checked in the database afterwards.
 *
 *   npx tsx bench/load.ts [--candidates 100] [--submits-per 3] [--autosaves 100] [--launches 100,300] [--quick] [--tsx] [--cpu-prof] [--json FILE]
 *
 * 1. Launches: N candidates launch at once from the Sandbox LMS (real OIDC round trips signed by
 *    it), for each level of --launches; errors, p50/p95.
 * 2. Each candidate opens its forms (one page per tab, each with its own form token).
 * 3. Bursts, all requests at once: one submit per candidate (N concurrent), then submits-per
 *    submits per candidate plus one autosave for the first --autosaves candidates.
 * 4. Checks every candidate's records: each submit stored once and as sent, each autosave once
 *    as a draft, the progress document equal to what recomputing it from the entries gives.
 *
 * Exit 1 if any request failed or any record is lost or wrong; 2 on a script error.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import mongoose from 'mongoose';
import { startEmbeddedFerretDb } from '../src/platform/database/ferretdb-launcher';
import { createLogger } from '../src/platform/logger';
import { autosaveFrom, buildLoadClass, entryForm, inBatches, problemsOf, submitFrom, type OpenForm } from '../test/helpers/practicum-load';
import { SandboxBrowser, type Answer } from '../test/helpers/sandbox-browser';
import { childEnv, cleanup, freePort, installCleanupHandlers, makeTempDir, ROOT, startChild, waitForHttp, type Child } from './lib/procs';
import { cpuByProcess } from './lib/cpu';
import { ms, summarize, type LatencySummary } from './lib/stats';

export interface LoadOptions {
  candidates: number;
  submitsPer: number;
  autosaves: number;
  /** Concurrent launch levels measured before the bursts. */
  launchLevels: number[];
  /** Start Fieldbook with --cpu-prof (profile written to bench/profiles/ on exit). */
  cpuProf?: boolean;
  /** Run the sources through tsx (`npm start`) instead of the compiled build. */
  isTsx?: boolean;
  log?: (line: string) => void;
}

export interface LevelResult {
  label: string;
  concurrency: number;
  ok: number;
  errors: number;
  errorSamples: string[];
  wallMs: number;
  latency: LatencySummary;
}

export interface BurstResult extends LevelResult {
  submits: LatencySummary;
  autosaves: LatencySummary;
  /** CPU ms spent during the burst: Fieldbook's process, the embedded database, this script (the browsers). */
  cpuMs: { fieldbook: number; database: number; client: number };
}

export interface LoadResult {
  machine: { cpus: number; loadBefore: number[]; loadAfter: number[] };
  launches: LevelResult[];
  bursts: BurstResult[];
  /** Records lost, stored twice, stored not as sent, or progress documents wrong. */
  problems: string[];
  isClean: boolean;
}

const OK = (a: Answer, kind: 'submit' | 'autosave') => a.status === 200 && (kind === 'autosave' ? a.text.startsWith('{"id"') : a.text.includes('Entry saved and submitted'));

async function timed<T>(work: () => Promise<T>): Promise<{ value?: T; error?: string; ms: number }> {
  const t0 = performance.now();
  try {
    return { value: await work(), ms: performance.now() - t0 };
  } catch (err) {
    return { error: (err as Error).message, ms: performance.now() - t0 };
  }
}

function level(label: string, concurrency: number, runs: { ok: boolean; ms: number; sample?: string }[], wallMs: number): LevelResult {
  const failed = runs.filter((r) => !r.ok);
  return { label, concurrency, ok: runs.length - failed.length, errors: failed.length, errorSamples: [...new Set(failed.map((f) => f.sample ?? ''))].slice(0, 5), wallMs, latency: summarize(runs.map((r) => r.ms)) };
}

const describe = (a: Answer) => `${a.status} ${a.text.replace(/<[^>]+>/g, ' ').replace(/\s+/g, ' ').slice(0, 160)}`;

/** The whole run; see the file comment. Leaves no process or directory behind. */
export async function runLoadBench(options: LoadOptions): Promise<LoadResult> {
  const log = options.log ?? ((line: string) => process.stdout.write(`[load] ${line}\n`));
  const loadBefore = os.loadavg();
  const dataDir = makeTempDir('fieldbook-load-');
  const logger = createLogger({ logLevel: 'warn', env: 'development' });
  const db = await startEmbeddedFerretDb({ dataDir: path.join(dataDir, 'ferretdb'), logger });
  const uri = `${db.uri.replace(/\/$/, '')}/fieldbook`;
  let child: Child | null = null;
  try {
    const port = await freePort();
    const origin = `http://127.0.0.1:${port}`;
    const profileDir = path.join(ROOT, 'bench', 'profiles');
    if (options.cpuProf) fs.mkdirSync(profileDir, { recursive: true });
    if (!options.isTsx) {
      log('building the compiled server (npm run build)');
      execFileSync('npm', ['run', 'build', '--silent'], { cwd: ROOT, stdio: ['ignore', 'ignore', 'inherit'] });
    }
    child = startChild(
      'fieldbook',
      [...(options.cpuProf ? ['--cpu-prof', '--cpu-prof-dir', profileDir] : []), ...(options.isTsx ? ['--import', 'tsx', 'src/server.ts'] : [path.join('dist', 'src', 'server.js')])],
      childEnv({ NODE_ENV: 'development', PORT: String(port), PUBLIC_URL: origin, DATA_DIR: dataDir, MONGODB_URI: uri, LOG_LEVEL: 'warn', SANDBOX_ENABLED: 'true', LTI_RATE_LIMIT_PER_MINUTE: '0', VIEW_CACHE: 'true' }),
    );
    await waitForHttp(`${origin}/health`, child);
    await mongoose.connect(uri);
    const people = Math.max(options.candidates, ...options.launchLevels);
    log(`setting up: a course with ${people} candidates, the practicum log placed by faculty`);
    const cls = await buildLoadClass(origin, people);

    const launches: LevelResult[] = [];
    let sessions: { browser: SandboxBrowser; ltik: string; text: string }[] = [];
    for (const n of options.launchLevels) {
      const started = performance.now();
      const runs = await Promise.all(
        cls.candidates.slice(0, n).map(async (c) => {
          const browser = new SandboxBrowser(origin);
          const r = await timed(() => browser.launch(cls.placement.id, c.id));
          return { ok: !r.error, ms: r.ms, sample: r.error, session: r.value ? { browser, ...r.value } : null };
        }),
      );
      launches.push(level(`launches at ${n}`, n, runs, performance.now() - started));
      log(`launches at ${n}: ${runs.filter((r) => r.ok).length}/${n} ok, p50 ${ms(launches.at(-1)!.latency.p50)}, p95 ${ms(launches.at(-1)!.latency.p95)}`);
      if (n >= options.candidates && runs.slice(0, options.candidates).every((r) => r.session)) sessions = runs.slice(0, options.candidates).map((r) => r.session!);
    }
    if (sessions.length < options.candidates) {
      sessions = await inBatches(cls.candidates.slice(0, options.candidates), 10, async (c) => {
        const browser = new SandboxBrowser(origin);
        return { browser, ...(await browser.launch(cls.placement.id, c.id)) };
      });
    }

    // Every request is a tab the browser rendered: its own form token.
    const tabsEach = 1 + options.submitsPer + 1;
    log(`opening ${tabsEach} forms per candidate`);
    const forms: OpenForm[][] = await inBatches(sessions, 10, async (s) => {
      const tabs = [await entryForm(s.browser, s.ltik, s.text)];
      for (let t = 1; t < tabsEach; t += 1) tabs.push(await entryForm(s.browser, s.ltik));
      return tabs;
    });

    const bursts: BurstResult[] = [];
    const asked = sessions.map(() => ({ submitted: [] as { i: number; k: number }[], unanswered: [] as { i: number; k: number }[], autosaved: [] as number[], unansweredAutosaves: [] as number[] }));
    const cpuNow = () => {
      const mine = cpuByProcess(process.pid);
      const tool = Object.values(cpuByProcess(child?.proc.pid)).reduce((a, b) => a + b, 0);
      return { fieldbook: tool, database: mine.ferretdb ?? 0, client: (mine.node ?? 0) - tool };
    };
    const burst = async (label: string, requests: { i: number; kind: 'submit' | 'autosave'; k: number; send: () => Promise<Answer> }[]) => {
      const cpuBefore = cpuNow();
      const started = performance.now();
      const runs = await Promise.all(
        requests.map(async (q) => {
          const r = await timed(q.send);
          const ok = Boolean(r.value && OK(r.value, q.kind));
          const a = asked[q.i];
          if (q.kind === 'submit') (ok ? a.submitted : a.unanswered).push({ i: q.i, k: q.k });
          else (ok ? a.autosaved : a.unansweredAutosaves).push(q.i);
          return { ok, ms: r.ms, kind: q.kind, sample: r.error ?? (r.value && !ok ? describe(r.value) : undefined) };
        }),
      );
      const result: BurstResult = {
        ...level(label, requests.length, runs, performance.now() - started),
        submits: summarize(runs.filter((r) => r.kind === 'submit').map((r) => r.ms)),
        autosaves: summarize(runs.filter((r) => r.kind === 'autosave').map((r) => r.ms)),
        cpuMs: (({ fieldbook, database, client }) => ({ fieldbook: fieldbook - cpuBefore.fieldbook, database: database - cpuBefore.database, client: client - cpuBefore.client }))(cpuNow()),
      };
      bursts.push(result);
      log(`${label}: ${result.ok}/${requests.length} ok in ${ms(result.wallMs)}; submit p50 ${ms(result.submits.p50)} p95 ${ms(result.submits.p95)}; autosave p50 ${ms(result.autosaves.p50)} p95 ${ms(result.autosaves.p95)}; CPU per request: Fieldbook ${(result.cpuMs.fieldbook / requests.length).toFixed(1)} ms, database ${(result.cpuMs.database / requests.length).toFixed(1)} ms, browsers ${(result.cpuMs.client / requests.length).toFixed(1)} ms${result.errors ? `; errors: ${result.errorSamples.join(' | ')}` : ''}`);
    };

    await burst(
      `${options.candidates} concurrent submits`,
      forms.map((tabs, i) => ({ i, kind: 'submit' as const, k: 0, send: () => submitFrom(tabs[0], i, 0) })),
    );
    await burst(`${options.candidates * options.submitsPer} concurrent submits + ${Math.min(options.autosaves, options.candidates)} autosaves`, [
      ...forms.flatMap((tabs, i) => Array.from({ length: options.submitsPer }, (_, s) => ({ i, kind: 'submit' as const, k: s + 1, send: () => submitFrom(tabs[s + 1], i, s + 1) }))),
      ...forms.slice(0, options.autosaves).map((tabs, i) => ({ i, kind: 'autosave' as const, k: 0, send: () => autosaveFrom(tabs[tabsEach - 1], i) })),
    ]);

    log('checking every candidate’s records in the database');
    const problems = (await inBatches(sessions, 8, (_s, i) => problemsOf(cls.activityId, { candidateSub: cls.candidates[i].sub, ...asked[i] }))).flat();
    const isClean = problems.length === 0 && [...launches, ...bursts].every((r) => r.errors === 0);
    return { machine: { cpus: os.cpus().length, loadBefore, loadAfter: os.loadavg() }, launches, bursts, problems, isClean };
  } finally {
    await mongoose.disconnect().catch(() => undefined);
    if (child) await child.stop();
    await db.stop();
    await cleanup();
  }
}

export function formatLoadReport(r: LoadResult): string {
  const row = (x: LevelResult, extra = '') => `| ${x.label} | ${x.ok}/${x.ok + x.errors} | ${x.errors} | ${ms(x.latency.p50)} | ${ms(x.latency.p95)} | ${ms(x.latency.max)} | ${ms(x.wallMs)} |${extra}`;
  return [
    `machine: ${r.machine.cpus} cores; load average before ${r.machine.loadBefore.map((v) => v.toFixed(2)).join(' ')}, after ${r.machine.loadAfter.map((v) => v.toFixed(2)).join(' ')}`,
    '',
    '| run | ok | errors | p50 | p95 | max | wall |',
    '|---|---|---|---|---|---|---|',
    ...r.launches.map((x) => row(x)),
    ...r.bursts.map((x) => row(x)),
    '',
    ...r.bursts.map((b) => `${b.label}: submits p50 ${ms(b.submits.p50)} p95 ${ms(b.submits.p95)}; autosaves p50 ${ms(b.autosaves.p50)} p95 ${ms(b.autosaves.p95)}`),
    `records: ${r.problems.length ? `${r.problems.length} problems:\n  ${r.problems.slice(0, 20).join('\n  ')}` : 'every entry stored once, as sent; every progress document equals its entries'}`,
  ].join('\n');
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      candidates: { type: 'string' },
      'submits-per': { type: 'string' },
      autosaves: { type: 'string' },
      launches: { type: 'string' },
      quick: { type: 'boolean', default: false },
      'cpu-prof': { type: 'boolean', default: false },
      tsx: { type: 'boolean', default: false },
      json: { type: 'string' },
    },
  });
  const int = (v: string | undefined, fallback: number) => {
    const n = v === undefined ? fallback : Number(v);
    if (!Number.isInteger(n) || n < 0) throw new Error(`expected a whole number, got ${v}`);
    return n;
  };
  const quick = values.quick ?? false;
  const candidates = int(values.candidates, quick ? 20 : 100);
  const options: LoadOptions = {
    candidates,
    submitsPer: int(values['submits-per'], 3),
    autosaves: int(values.autosaves, candidates),
    launchLevels: (values.launches ?? (quick ? '20' : '100,300')).split(',').filter(Boolean).map((v) => int(v, 0)),
    cpuProf: values['cpu-prof'],
    isTsx: values.tsx,
  };
  installCleanupHandlers();
  const result = await runLoadBench(options);
  process.stdout.write(`\n${formatLoadReport(result)}\n`);
  if (values.json) fs.writeFileSync(values.json, JSON.stringify(result, null, 2));
  process.exitCode = result.isClean ? 0 : 1;
}

if (require.main === module) {
  main().catch((err: unknown) => {
    process.stderr.write(`[load] ${(err as Error).stack ?? String(err)}\n`);
    void cleanup().finally(() => process.exit(2));
  });
}
