/**
 * Grade passback benchmark, in-process (its own process: ltijs allows one setup per process).
 *
 * Starts Fieldbook (startFieldbook, with the Sandbox LMS) on a free loopback port, builds a
 * Sandbox course (1 faculty, K learners), places an activity by deep linking as faculty,
 * launches faculty on it, then posts scores through POST /lti/scores with the faculty's ltik
 * with bounded concurrency. Each score is a direct send (there is no durable outbox yet):
 * the request returns after the Sandbox answered, and the score is then checked in the Sandbox.
 *
 *   tsx bench/grades.ts --scores 2000 --concurrency 8 --learners 40
 * Prints one line: GRADES_RESULT <json>.
 */
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { startFieldbook, type Fieldbook } from '../src/bootstrap';
import { loadConfig } from '../src/platform/config';
import { createLogger } from '../src/platform/logger';
import {
  addSandboxPerson,
  createSandboxCourse,
  createSandboxPlacement,
  getSandboxGrade,
  getSandboxTokenStats,
  listSandboxPlacements,
  type SandboxPersonView,
} from '../src/sandbox';
import { deepLinkAs, launchAs, parseForm, returnDeepLink } from '../test/helpers/sandbox-launch';
import { summarize, type LatencySummary } from './lib/stats';

export interface GradeRunResult {
  scores: number;
  concurrency: number;
  learners: number;
  ok: number;
  errors: number;
  errorSamples: string[];
  wallMs: number;
  scoresPerSecond: number;
  /** Request start → the score confirmed present in the Sandbox gradebook. */
  latency: LatencySummary;
  tokenRequests: number;
  tokensIssued: number;
  /** From before the faculty launch (its roster fetch) and the warm-up score: the first token per scope set. */
  tokenRequestsIncludingSetup: number;
  /** Requests Fieldbook made to the Sandbox's LTI services during the run, by kind. */
  serviceCalls: Record<string, number>;
  serviceCallsPerScore: string;
}

function classify(url: string): string | null {
  if (!url.startsWith('/sandbox/')) return null;
  if (/\/token\b/.test(url)) return 'token';
  if (/memberships/.test(url)) return 'nrps';
  if (/\/scores\b/.test(url)) return 'ags-score';
  if (/lineitems/.test(url)) return 'ags-lineitem';
  return null;
}

async function main(): Promise<void> {
  const { values } = parseArgs({ args: process.argv.slice(2), options: { scores: { type: 'string' }, concurrency: { type: 'string' }, learners: { type: 'string' } } });
  const scores = Number(values.scores ?? 2000);
  const concurrency = Number(values.concurrency ?? 8);
  const learnerCount = Math.max(Number(values.learners ?? 40), concurrency);

  const server = http.createServer();
  server.keepAliveTimeout = 65_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'fieldbook-grades-bench-'));
  let fieldbook: Fieldbook | null = null;
  // Killed by the driver (timeout, Ctrl-C): FerretDB exits with us (its stdin closes); remove its files.
  process.once('SIGTERM', () => {
    fs.rmSync(dataDir, { recursive: true, force: true });
    process.exit(143);
  });
  try {
    const config = loadConfig({
      env: { ...process.env, NODE_ENV: 'development' },
      overrides: { publicUrl: `http://127.0.0.1:${port}`, port, dataDir, mongodbUri: null, logLevel: process.env.LOG_LEVEL ?? 'warn', sandbox: { enabled: true }, lti: { rateLimitPerMinute: 0 }, viewCache: true },
    });
    fieldbook = await startFieldbook(config, createLogger(config));
    const calls: Record<string, number> = {};
    let counting = false;
    // Registered before the app: express rewrites req.url while routing under /sandbox.
    server.on('request', (req: http.IncomingMessage) => {
      const kind = counting ? classify(req.url ?? '') : null;
      if (kind) calls[kind] = (calls[kind] ?? 0) + 1;
    });
    server.on('request', fieldbook.app);
    const baseUrl = config.publicUrl;

    // A course: one faculty, K learners, a deep-linking placement.
    const course = await createSandboxCourse({ title: 'EDL 630 — Bench', label: 'EDL630-BENCH' });
    const faculty = await addSandboxPerson(course.id, { name: 'Dr. Bench Faculty', email: 'faculty@bench.test', roles: 'faculty' });
    const learners: SandboxPersonView[] = [];
    for (let i = 0; i < learnerCount; i++) {
      learners.push(await addSandboxPerson(course.id, { name: `Bench Candidate ${i}`, email: `candidate${i}@bench.test`, roles: 'candidate' }));
    }
    const addActivity = await createSandboxPlacement(course.id, { kind: 'deep_linking', title: 'Add a Fieldbook activity' });

    // Faculty place an activity by deep linking (as test/lti/first-launch.test.ts does).
    const picker = await deepLinkAs(baseUrl, { personId: faculty.id, placementId: addActivity.id });
    if (picker.status !== 200) throw new Error(`deep-linking launch answered ${picker.status}`);
    const submitted = await picker.agent
      .post('/lti/deep-link/submit')
      .type('form')
      .send({ ltik: parseForm(picker.text, 'ltik').fields.ltik, activityType: 'practicum-log', title: 'Bench grade', pointsPossible: '100' });
    if (submitted.status !== 200) throw new Error(`deep-link submit answered ${submitted.status}: ${submitted.text.slice(0, 300)}`);
    const confirmation = await returnDeepLink(baseUrl, picker.agent, submitted.text);
    if (confirmation.status !== 200) throw new Error(`Sandbox deep-link return answered ${confirmation.status}`);
    const placed = (await listSandboxPlacements(course.id)).find((p) => p.createdByDeepLink && p.title === 'Bench grade');
    if (!placed?.lineItemId) throw new Error('the Sandbox did not create the placement with a line item');
    const lineItemId = placed.lineItemId;

    const tokensAtStart = await getSandboxTokenStats();
    const launch = await launchAs(baseUrl, { personId: faculty.id, placementId: placed.id });
    if (launch.status !== 200 || !launch.ltik) throw new Error(`faculty launch answered ${launch.status}`);
    const { agent, ltik } = launch;

    // One warm-up score (access tokens, line item lookups), not counted.
    const warm = await agent.post('/lti/scores').type('form').send({ ltik, userId: learners[0].sub, scoreGiven: '1', comment: 'warm-up' });
    if (warm.status !== 200) throw new Error(`warm-up score answered ${warm.status}: ${warm.text.slice(0, 300)}`);

    const tokensBefore = await getSandboxTokenStats();
    counting = true;
    const latencies: number[] = [];
    const errorSamples: string[] = [];
    let errors = 0;
    let next = 0;
    // Worker w only grades learners w, w+c, w+2c…: one learner's scores are never in flight
    // together, so their timestamps stay in order (the Sandbox, like Canvas, refuses older ones).
    const worker = async (w: number) => {
      const mine = learners.filter((_, i) => i % concurrency === w);
      let turn = 0;
      while (next < scores) {
        const i = next++;
        const learner = mine[turn++ % mine.length];
        const comment = `bench-${i}`;
        const scoreGiven = i % 101;
        const t0 = performance.now();
        try {
          const res = await agent.post('/lti/scores').type('form').send({ ltik, userId: learner.sub, scoreGiven: String(scoreGiven), comment });
          if (res.status !== 200 || !res.text.includes('data-testid="score-sent"')) throw new Error(`POST /lti/scores answered ${res.status}: ${res.text.slice(0, 200)}`);
          const grade = await getSandboxGrade(lineItemId, learner.sub);
          if (!grade || grade.comment !== comment || grade.scoreGiven !== scoreGiven) throw new Error(`score ${i} not in the Sandbox gradebook after the response`);
          latencies.push(performance.now() - t0);
        } catch (err) {
          errors += 1;
          if (errorSamples.length < 5) errorSamples.push((err as Error).message);
        }
      }
    };
    const started = performance.now();
    await Promise.all(Array.from({ length: concurrency }, (_, w) => worker(w)));
    const wallMs = performance.now() - started;
    counting = false;
    const tokensAfter = await getSandboxTokenStats();

    const ok = latencies.length;
    const perScore = Object.entries(calls)
      .sort()
      .map(([k, v]) => `${k} ${(v / Math.max(1, ok + errors)).toFixed(2)}`)
      .join(', ');
    const result: GradeRunResult = {
      scores,
      concurrency,
      learners: learnerCount,
      ok,
      errors,
      errorSamples,
      wallMs,
      scoresPerSecond: ok / (wallMs / 1000),
      latency: summarize(latencies),
      tokenRequests: tokensAfter.tokenRequests - tokensBefore.tokenRequests,
      tokensIssued: tokensAfter.tokensIssued - tokensBefore.tokensIssued,
      tokenRequestsIncludingSetup: tokensAfter.tokenRequests - tokensAtStart.tokenRequests,
      serviceCalls: calls,
      serviceCallsPerScore: perScore || 'none',
    };
    process.stdout.write(`GRADES_RESULT ${JSON.stringify(result)}\n`);
  } finally {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    if (fieldbook) await fieldbook.database.stop().catch(() => undefined);
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

if (require.main === module) {
  main().then(
    () => process.exit(0),
    (err: unknown) => {
      process.stderr.write(`grades benchmark failed: ${(err as Error)?.stack ?? String(err)}\n`);
      process.exit(1);
    },
  );
}
