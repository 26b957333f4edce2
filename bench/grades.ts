/**
 * Grade passback benchmark, in-process (its own process: ltijs allows one setup per process).
 * Starts Fieldbook (startFieldbook, with the Sandbox LMS) on a free loopback port, then runs two
 * scenarios, each on its own Sandbox course:
 *
 * 1. queued — a deadline burst: N grade changes recorded in the durable outbox (recordGradeChange,
 *    what an approval in the practicum log does), `concurrency` at a time, over A assignments ×
 *    K learners, with the background grade sender running as `npm start` runs it. Measured: time
 *    until every grade is sent, and per grade the time from its change to the Sandbox receiving
 *    the score (the Sandbox's receivedAt; same process clock).
 * 2. form — faculty grading one by one: a course with 1 faculty and K learners, an activity placed
 *    by deep linking, faculty launched on it, then N scores through POST /lti/scores with the
 *    faculty's ltik (the request records the change and sends it at once), then read back from the
 *    Sandbox gradebook. Latency: request start → the score confirmed there.
 *
 *   tsx bench/grades.ts --scores 2000 --concurrency 8 --learners 40 [--only queued|form]
 * Prints one line: GRADES_RESULT <json> ({ queued?, form? }).
 */
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import mongoose from 'mongoose';
import { startFieldbook, type Fieldbook } from '../src/bootstrap';
import { kickGradeSender, startGradeSender } from '../src/grading/grade-sender';
import { GradeDeliveryModel } from '../src/grading/outbox.model';
import { recordGradeChange } from '../src/grading/outbox.service';
import { loadConfig, type AppConfig } from '../src/platform/config';
import { createLogger, type Logger } from '../src/platform/logger';
import {
  addSandboxPerson,
  createSandboxCourse,
  createSandboxPlacement,
  createSandboxLineItem,
  getSandboxGrade,
  getSandboxScores,
  getSandboxTokenStats,
  presentLineItem,
  sandboxIdentity,
  listSandboxPlacements,
  type SandboxPersonView,
} from '../src/sandbox';
import { deepLinkAs, launchAs, parseForm, returnDeepLink } from '../test/helpers/sandbox-launch';
import { cpuByProcess, cpuDelta } from './lib/cpu';
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

export interface QueuedRunResult {
  scores: number;
  concurrency: number;
  learners: number;
  assignments: number;
  sent: number;
  failed: number;
  /** Grades not sent (or failed) when the run gave up waiting. */
  unfinished: number;
  errorSamples: string[];
  /** Time to record all N changes (the burst). */
  enqueueMs: number;
  /** First change recorded (prequeued: the sender started) → last grade sent. */
  drainMs: number;
  /** prequeued: all N were waiting in the outbox before the sender started. */
  isPrequeued: boolean;
  scoresPerSecond: number;
  /** Grade change → the Sandbox received the score. */
  latency: LatencySummary;
  tokenRequests: number;
  serviceCalls: Record<string, number>;
  serviceCallsPerScore: string;
  /**
   * CPU per grade sent while the sender drained (prequeued only: nothing else runs then), of this
   * process (Fieldbook's sender and the Sandbox's score endpoint) and of the embedded FerretDB;
   * unlike grades/s it hardly changes with other load on the machine.
   */
  cpuMsPerGrade?: { node: number; ferretdb: number };
}

export interface GradeBenchResult {
  queued?: QueuedRunResult;
  /** The same N changes recorded first, then drained by a sender started afterwards. */
  prequeued?: QueuedRunResult;
  form?: GradeRunResult;
}

function classify(url: string): string | null {
  if (!url.startsWith('/sandbox/')) return null;
  if (/\/token\b/.test(url)) return 'token';
  if (/memberships/.test(url)) return 'nrps';
  if (/\/scores\b/.test(url)) return 'ags-score';
  if (/lineitems/.test(url)) return 'ags-lineitem';
  return null;
}

interface BenchContext {
  config: AppConfig;
  baseUrl: string;
  logger: Logger;
  /** Starts (true) or stops counting the requests Fieldbook makes to the Sandbox's services; returns the counts so far. */
  counting(on: boolean): void;
  calls: Record<string, number>;
}

function perScore(calls: Record<string, number>, n: number): string {
  return (
    Object.entries(calls)
      .sort()
      .map(([k, v]) => `${k} ${(v / Math.max(1, n)).toFixed(2)}`)
      .join(', ') || 'none'
  );
}

/** Scenario 1: a burst of grade changes through the outbox, drained by the background sender. */
async function queuedRun(ctx: BenchContext, options: { scores: number; concurrency: number; learners: number; isPrequeued?: boolean }): Promise<QueuedRunResult> {
  const { config, logger } = ctx;
  const identity = sandboxIdentity(config);
  const course = await createSandboxCourse({ title: 'EDL 640 — Bench deadline', label: 'EDL640-BENCH' });
  const learners: SandboxPersonView[] = [];
  for (let i = 0; i < options.learners; i++) {
    learners.push(await addSandboxPerson(course.id, { name: `Deadline Candidate ${i}`, email: `deadline${i}@bench.test`, roles: 'candidate' }));
  }
  const assignments = Math.ceil(options.scores / learners.length);
  const items: Array<{ id: string; url: string }> = [];
  for (let a = 0; a < assignments; a++) {
    const item = await createSandboxLineItem(course.id, { label: `Bench assignment ${a}`, scoreMaximum: 100 });
    items.push({ id: item._id.toHexString(), url: presentLineItem(config, item).id });
  }

  let sender = options.isPrequeued ? null : startGradeSender({ logger });
  const tokensBefore = await getSandboxTokenStats();
  ctx.calls = {};
  ctx.counting(true);
  const changedAt = new Map<string, number>();
  const started = performance.now();
  let startedAt = Date.now();
  let next = 0;
  const enqueue = async () => {
    while (next < options.scores) {
      const i = next++;
      const item = items[Math.floor(i / learners.length)];
      const learner = learners[i % learners.length];
      changedAt.set(`${item.id}:${learner.sub}`, Date.now());
      await recordGradeChange({
        activityId: `bench-assignment-${item.id}`,
        contextId: course.id,
        iss: identity.issuer,
        clientId: identity.clientId,
        deploymentId: identity.deploymentId,
        lineItemUrl: item.url,
        userSub: learner.sub,
        userName: learner.name,
        scoreGiven: i % 101,
        scoreMaximum: 100,
        activityProgress: 'Completed',
        gradingProgress: 'FullyGraded',
        comment: `bench-${i}`,
        isTestUser: false,
      });
      // As an approval in the practicum log does: the sender takes it now, not at its next tick.
      kickGradeSender();
    }
  };
  await Promise.all(Array.from({ length: options.concurrency }, enqueue));
  const enqueueMs = performance.now() - started;
  let cpuBefore: Record<string, number> | null = null;
  if (!sender) {
    cpuBefore = cpuByProcess(process.pid);
    startedAt = Date.now();
    sender = startGradeSender({ logger });
  }

  // Wait until every grade is sent or refused, or nothing moved for a minute. One count a second:
  // on the embedded FerretDB a count scans the deliveries, and the sender works on the same database.
  const ofThisRun = { activityId: { $in: items.map((item) => `bench-assignment-${item.id}`) } };
  let done = 0;
  let lastProgress = performance.now();
  for (;;) {
    const nowDone = await GradeDeliveryModel.countDocuments({ ...ofThisRun, state: { $in: ['sent', 'failed'] } });
    if (nowDone !== done) lastProgress = performance.now();
    done = nowDone;
    if (done >= options.scores || performance.now() - lastProgress > 60_000) break;
    await new Promise((r) => setTimeout(r, 1000));
  }
  const [sent, failed] = await Promise.all([
    GradeDeliveryModel.countDocuments({ ...ofThisRun, state: 'sent' }),
    GradeDeliveryModel.countDocuments({ ...ofThisRun, state: 'failed' }),
  ]);
  const cpu = cpuBefore ? cpuDelta(cpuBefore, cpuByProcess(process.pid)) : null;
  ctx.counting(false);
  await sender.stop();
  const tokensAfter = await getSandboxTokenStats();

  const latencies: number[] = [];
  let lastReceived = startedAt;
  for (const item of items) {
    for (const score of await getSandboxScores(item.id)) {
      const at = changedAt.get(`${item.id}:${score.userId}`);
      if (at === undefined) continue;
      latencies.push(score.receivedAt.getTime() - at);
      lastReceived = Math.max(lastReceived, score.receivedAt.getTime());
    }
  }
  const failures = failed ? await GradeDeliveryModel.find({ ...ofThisRun, state: 'failed' }).limit(5).lean() : [];
  const drainMs = lastReceived - startedAt;
  return {
    scores: options.scores,
    concurrency: options.concurrency,
    learners: learners.length,
    assignments,
    sent,
    failed,
    unfinished: options.scores - sent - failed,
    errorSamples: failures.map((f) => String(f.reason)),
    enqueueMs,
    drainMs,
    isPrequeued: options.isPrequeued ?? false,
    scoresPerSecond: sent / (drainMs / 1000),
    latency: summarize(latencies),
    tokenRequests: tokensAfter.tokenRequests - tokensBefore.tokenRequests,
    serviceCalls: { ...ctx.calls },
    serviceCallsPerScore: perScore(ctx.calls, options.scores),
    ...(cpu && sent ? { cpuMsPerGrade: { node: (cpu.node ?? 0) / sent, ferretdb: (cpu.ferretdb ?? 0) / sent } } : {}),
  };
}

/** Scenario 2: faculty grading one score at a time through POST /lti/scores. */
async function formRun(ctx: BenchContext, options: { scores: number; concurrency: number; learners: number }): Promise<GradeRunResult> {
  const { baseUrl } = ctx;
  const { scores, concurrency } = options;
  const learnerCount = options.learners;
  ctx.calls = {};
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
    .send({ ltik: parseForm(picker.text, 'ltik').fields.ltik, formToken: parseForm(picker.text, 'formToken').fields.formToken, activityType: 'practicum-log', title: 'Bench grade', pointsPossible: '100', gradingMode: 'faculty-score' });
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
  ctx.counting(true);
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
  ctx.counting(false);
  const tokensAfter = await getSandboxTokenStats();

  const ok = latencies.length;
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
    serviceCalls: { ...ctx.calls },
    serviceCallsPerScore: perScore(ctx.calls, ok + errors),
  };
  return result;
}

async function main(): Promise<void> {
  const { values } = parseArgs({ args: process.argv.slice(2), options: { scores: { type: 'string' }, concurrency: { type: 'string' }, learners: { type: 'string' }, only: { type: 'string' }, 'db-ops': { type: 'boolean' } } });
  // --db-ops: count the database operations (ours, ltijs's and the Sandbox's) by collection, method and filter shape.
  const dbOps = new Map<string, number>();
  if (values['db-ops']) {
    mongoose.set('debug', (collection: string, method: string, filter: unknown) => {
      const shape = filter && typeof filter === 'object' ? Object.keys(filter).sort().join(',') : '';
      const key = `${collection}.${method}(${shape})`;
      dbOps.set(key, (dbOps.get(key) ?? 0) + 1);
    });
  }
  const scores = Number(values.scores ?? 2000);
  const concurrency = Number(values.concurrency ?? 8);
  const learners = Math.max(Number(values.learners ?? 40), concurrency);
  if (values.only && !['queued', 'prequeued', 'form'].includes(values.only)) throw new Error('--only must be queued, prequeued or form');

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
    const logger = createLogger(config);
    fieldbook = await startFieldbook(config, logger);
    let isCounting = false;
    const ctx: BenchContext = { config, baseUrl: config.publicUrl, logger, calls: {}, counting: (on) => (isCounting = on) };
    // Registered before the app: express rewrites req.url while routing under /sandbox.
    server.on('request', (req: http.IncomingMessage) => {
      const kind = isCounting ? classify(req.url ?? '') : null;
      if (kind) ctx.calls[kind] = (ctx.calls[kind] ?? 0) + 1;
    });
    server.on('request', fieldbook.app);

    const result: GradeBenchResult = {};
    const options = { scores, concurrency, learners };
    if (!values.only || values.only === 'queued') result.queued = await queuedRun(ctx, options);
    if (!values.only || values.only === 'prequeued') result.prequeued = await queuedRun(ctx, { ...options, isPrequeued: true });
    if (!values.only || values.only === 'form') result.form = await formRun(ctx, options);
    if (values['db-ops']) {
      const rows = [...dbOps.entries()].sort((a, b) => b[1] - a[1]).map(([k, v]) => `${String(v).padStart(7)}  ${k}`);
      process.stderr.write(`database operations (count, collection.method(filter keys)):\n${rows.join('\n')}\n`);
    }
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
