/**
 * Seeded fuzzing of every route under /lti and /access with hostile bodies and queries, through
 * real sessions (candidate, faculty, LTI mentor, external mentor, deep-linking picker). Bounded:
 * REQUESTS requests from one fixed seed, so a failure replays exactly — FUZZ_SEED=<seed> to try
 * another, FUZZ_TRACE=1 to print every request and its answer. Rate-limited routes (login, launch,
 * redeem, access links) get few requests so the shared server's per-IP buckets stay open for the
 * tests that run after this one.
 */
import { expect } from 'chai';
import request from 'supertest';
import { PracticumEntryModel } from '../../src/practicum/practicum-entry.model';
import { createSandboxPlacement, findSandboxMailTo, type SandboxPlacementView } from '../../src/sandbox';
import { sessionFromLocation } from '../access/access-kit';
import { placeActivity } from '../helpers/activity-kit';
import { deepLinkAs, parseForm, type Agent } from '../helpers/sandbox-launch';
import { testServer } from '../helpers/test-server';
import { buildPracticumCourse, COMPLETE_ENTRY, open, post, type PracticumCourse } from '../practicum/practicum-kit';

const SEED = Number(process.env.FUZZ_SEED ?? 0x5eed2026) >>> 0;
const REQUESTS = 360;
/** A request that hangs is a failure too (reported as 599), not a stalled suite. */
const REQUEST_TIMEOUT_MS = 10_000;

/** xorshift32: tiny, deterministic, good enough to pick cases. */
function xorshift32(seed: number) {
  let x = seed || 1;
  return () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x / 0x1_0000_0000;
  };
}

type Random = ReturnType<typeof xorshift32>;
const pick = <T>(rnd: Random, items: readonly T[]): T => items[Math.floor(rnd() * items.length)];

/** An array nested `depth` deep; written out as text (JSON.stringify of 5,000 levels overflows this process's stack too). */
class Nested {
  constructor(readonly depth: number) {}
  toJSON() {
    return `__NESTED_${this.depth}__`;
  }
}

/** JSON text of fields, with each Nested as that many real brackets. */
function jsonText(fields: Record<string, unknown>): string {
  return JSON.stringify(fields).replace(/"__NESTED_(\d+)__"/g, (_, n: string) => `${'['.repeat(Number(n))}"leaf"${']'.repeat(Number(n))}`);
}

/** Hostile values: wrong types, objects without a primitive, deep nesting, control characters, impossible dates and numbers. */
function hostileValue(rnd: Random, ids: string[]): unknown {
  const cases: (() => unknown)[] = [
    () => ({ toString: 1 }),
    () => ({ valueOf: null, toString: null }),
    () => ({ $gt: '' }),
    () => [pick(rnd, ids), { toString: 1 }],
    () => new Nested(pick(rnd, [3, 31, 33, 200, 5000])),
    () => 'x'.repeat(pick(rnd, [201, 4001, 70_000])),
    () => `nul\u0000byte\u0007bell\u001b[31m`,
    () => pick(rnd, ['2026-02-30', '0000-01-01', '9999-12-31', '2026-13-01', '1989-12-31', '2026-02-29']),
    () => pick(rnd, [-1, -0, 1e308, 1e21, 0.1, 25, 5001]),
    () => pick(rnd, ['NaN', 'Infinity', '-Infinity', '1e999', '0x10', '0b11', ' ', '', '-5']),
    () => pick(rnd, [true, false, null, 0]),
    () => pick(rnd, ['superuser', 'approved', 'verify', 'submit', 'resend', 'nelp-district', 'faculty-score', 'moon']),
    () => pick(rnd, ids),
    () => `${pick(rnd, ids)}:${pick(rnd, ['1', '0', '-1', '999999999', 'x'])}`,
    () => '<script>alert(1)</script>',
    () => '\ud800 lone surrogate',
    () => pick(rnd, ['$where', '__proto__', 'constructor', 'toString']),
    () => ({ a: { b: { c: [1, { d: 'e' }] } } }),
  ];
  return pick(rnd, cases)();
}

interface Route {
  method: 'GET' | 'POST';
  path: (rnd: Random, ids: string[]) => string;
  fields: string[];
  /** Which session fits (others are tried too, less often). */
  session: 'lti' | 'picker' | 'external' | 'none';
  /** At most this many requests (rate-limited routes). */
  cap?: number;
  json?: boolean;
}

const fixed = (p: string) => () => p;
const ENTRY_FIELDS = [...Object.keys(COMPLETE_ENTRY), 'entryId', 'version', 'intent', 'formToken', 'siteId', 'mentorEmail', 'aid'];
const PICKER_FIELDS = ['formToken', 'activityType', 'title', 'pointsPossible', 'rulePackId', 'requiredHours', 'minDistinctSites', 'gradeBands', 'populations', 'frameworkId', 'termStart', 'termEnd', 'gradingMode', 'partialCredit', 'min_observation-feedback'];

/** Every route under /lti (launch.routes, grading.routes, practicum.routes, dynamic registration, ltijs's own) and /access. */
const ROUTES: Route[] = [
  { method: 'GET', path: fixed('/lti/launch'), fields: ['aid'], session: 'lti' },
  { method: 'POST', path: fixed('/lti/launch'), fields: ['id_token', 'state', 'aid'], session: 'lti', cap: 12 },
  { method: 'GET', path: fixed('/lti/activity'), fields: ['aid'], session: 'lti' },
  { method: 'POST', path: fixed('/lti/activity/copy'), fields: ['aid'], session: 'lti' },
  { method: 'POST', path: fixed('/lti/course/roster'), fields: ['aid'], session: 'lti', cap: 10 },
  { method: 'POST', path: fixed('/lti/deep-link/submit'), fields: PICKER_FIELDS, session: 'picker' },
  { method: 'POST', path: fixed('/lti/scores'), fields: ['userId', 'scoreGiven', 'comment', 'aid'], session: 'lti' },
  { method: 'POST', path: fixed('/lti/grades/retry'), fields: ['userSub', 'aid'], session: 'lti' },
  { method: 'GET', path: fixed('/lti/practicum'), fields: ['status', 'candidate', 'edit', 'aid'], session: 'lti' },
  { method: 'GET', path: (rnd, ids) => `/lti/practicum/entries/${encodeURIComponent(String(pick(rnd, [...ids, '%00', '..', 'x'.repeat(300)])))}`, fields: ['aid'], session: 'lti' },
  { method: 'POST', path: fixed('/lti/practicum/entries'), fields: ENTRY_FIELDS, session: 'lti' },
  { method: 'POST', path: fixed('/lti/practicum/entries/autosave'), fields: ENTRY_FIELDS, session: 'lti', json: true },
  ...['submit', 'verify', 'approve', 'return'].map((action): Route => ({ method: 'POST', path: fixed(`/lti/practicum/entries/${action}`), fields: ['entries', 'comment', 'aid'], session: 'lti' })),
  { method: 'POST', path: fixed('/lti/practicum/mentor'), fields: ['mentorName', 'mentorEmail', 'candidate', 'intent', 'aid'], session: 'lti' },
  { method: 'GET', path: fixed('/lti/keys'), fields: [], session: 'none', cap: 5 },
  { method: 'GET', path: fixed('/lti/login'), fields: ['iss', 'login_hint', 'target_link_uri', 'lti_message_hint', 'client_id', 'lti_deployment_id'], session: 'none', cap: 10 },
  { method: 'POST', path: fixed('/lti/login'), fields: ['iss', 'login_hint', 'target_link_uri', 'lti_message_hint', 'client_id', 'lti_deployment_id'], session: 'none', cap: 10 },
  { method: 'POST', path: fixed('/lti/storage/confirm'), fields: ['launch', 'state', 'id'], session: 'none', cap: 8 },
  // Only malformed queries: a well-formed openid_configuration URL is fetched, and an unreachable platform is a 502 by design.
  { method: 'GET', path: fixed('/lti/register'), fields: ['openid_configuration', 'registration_token'], session: 'none', cap: 12 },
  { method: 'GET', path: fixed('/access/home'), fields: ['s'], session: 'external' },
  { method: 'POST', path: fixed('/access/redeem'), fields: ['token'], session: 'none', cap: 8 },
  { method: 'GET', path: (rnd) => `/access/${encodeURIComponent(String(pick(rnd, ['x', 'a.b.c', '%00', 'e'.repeat(3000), 'eyJhbGciOiJub25lIn0.e30.'])))}`, fields: [], session: 'none', cap: 12 },
  ...['verify', 'return'].map((action): Route => ({ method: 'POST', path: fixed(`/access/practicum/${action}`), fields: ['s', 'entries', 'one', 'comment'], session: 'external' })),
];

type Encoding = 'form' | 'json' | 'json-proto' | 'raw-form' | 'query';

/** Percent-encoding that also sends what encodeURIComponent refuses: a lone surrogate becomes invalid UTF-8 bytes. */
function enc(text: string): string {
  try {
    return encodeURIComponent(text);
  } catch {
    return `${encodeURIComponent(text.replace(/[\ud800-\udfff]/g, ''))}%ED%A0%80`;
  }
}

/** A flat urlencoded body: objects become their JSON text, arrays repeat the field. */
function formText(fields: Record<string, unknown>): string {
  const parts: string[] = [];
  for (const [k, v] of Object.entries(fields)) {
    const values = Array.isArray(v) ? v.slice(0, 5) : [v];
    for (const one of values) parts.push(`${enc(k)}=${enc(typeof one === 'string' ? one : (JSON.stringify(one) ?? ''))}`);
  }
  return parts.join('&');
}

/** Query-string shapes Express's qs parser turns into objects and arrays. */
function queryText(rnd: Random, fields: Record<string, unknown>): string {
  const parts: string[] = [];
  for (const [k, v] of Object.entries(fields)) {
    const text = enc(typeof v === 'string' ? v.slice(0, 2000) : String(JSON.stringify(v) ?? '').slice(0, 2000));
    const shape = pick(rnd, ['plain', 'plain', 'array', 'object', 'deep', 'proto']);
    if (shape === 'array') parts.push(`${k}[]=${text}`, `${k}[]=${text}`);
    else if (shape === 'object') parts.push(`${k}[a]=${text}`);
    else if (shape === 'deep') parts.push(`${k}${'[0]'.repeat(40)}=${text}`);
    else if (shape === 'proto') parts.push(`${k}[__proto__][x]=1`, `${k}[toString]=1`);
    else parts.push(`${k}=${text}`);
  }
  return parts.join('&');
}

interface Actor {
  name: string;
  agent: Agent;
  /** The ltik (LTI sessions) or the external session token `s`. */
  token: string;
  kind: 'lti' | 'picker' | 'external' | 'none';
}

describe(`fuzz: hostile input to every /lti and /access route never answers 500 (seed ${SEED}, ${REQUESTS} requests)`, function () {
  this.timeout(120_000);
  let course: PracticumCourse;
  let graded: SandboxPlacementView;
  let actors: Actor[];
  let ids: string[];

  before(async () => {
    course = await buildPracticumCourse('Fuzzed hours');
    graded = await placeActivity({ courseId: course.id, facultyId: course.faculty.id, title: `Fuzz graded ${course.id}`, points: 10, settings: { gradingMode: 'faculty-score' } });
    const [candidate, faculty, mentor, grader] = await Promise.all([
      open(course.candidateA, course.placement),
      open(course.faculty, course.placement),
      open(course.mentorOfA, course.placement),
      open(course.faculty, graded),
    ]);
    // Real records to aim at: a submitted entry, a draft, and an external mentor session.
    const submitted = await post(candidate, '/lti/practicum/entries', { ...COMPLETE_ENTRY, intent: 'submit' });
    expect(submitted.status, submitted.text).to.equal(200);
    await post(candidate, '/lti/practicum/entries', { hours: '1', description: 'a draft to aim at', intent: 'draft' });
    const mentorEmail = `fuzz-mentor-${course.id}@school.example`.toLowerCase();
    const named = await post(candidate, '/lti/practicum/mentor', { mentorName: 'Fuzz Mentor', mentorEmail });
    expect(named.status, named.text).to.equal(200);
    const [mail] = await findSandboxMailTo(mentorEmail);
    const linkPath = new URL(/https?:\/\/\S+\/access\/[A-Za-z0-9._-]+/.exec(mail.text)![0]).pathname;
    const redeemed = await request(testServer().baseUrl).post('/access/redeem').type('form').send({ token: linkPath.split('/access/')[1] });
    const s = sessionFromLocation(redeemed.headers.location as string);
    const placementId = (await createSandboxPlacement(course.id, { kind: 'deep_linking', title: 'Fuzz picker' })).id;
    const picker = await deepLinkAs(testServer().baseUrl, { personId: course.faculty.id, placementId });

    const entries = await PracticumEntryModel.find({ activityId: course.activityId }).lean();
    ids = [...entries.flatMap((e) => [String(e._id), `${String(e._id)}:${e.version}`]), course.activityId, graded.custom.activity_id, course.candidateA.sub, course.candidateB.sub, 'f'.repeat(24)];
    actors = [
      { name: 'candidate', agent: candidate.agent, token: candidate.ltik, kind: 'lti' },
      { name: 'faculty', agent: faculty.agent, token: faculty.ltik, kind: 'lti' },
      { name: 'mentor (LTI)', agent: mentor.agent, token: mentor.ltik, kind: 'lti' },
      { name: 'faculty (faculty-score activity)', agent: grader.agent, token: grader.ltik, kind: 'lti' },
      { name: 'faculty (deep-linking picker)', agent: picker.agent, token: parseForm(picker.text, 'ltik').fields.ltik, kind: 'picker' },
      { name: 'mentor (emailed link)', agent: request.agent(testServer().baseUrl), token: s, kind: 'external' },
      { name: 'anonymous', agent: request.agent(testServer().baseUrl), token: '', kind: 'none' },
    ];
  });

  it('every answer is < 500, sessions still work and /health is 200 afterwards', async () => {
    const rnd = xorshift32(SEED);
    const sent = new Map<Route, number>();
    const failures: string[] = [];
    const started = Date.now();
    for (let i = 0; i < REQUESTS; i++) {
      const available = ROUTES.filter((r) => (sent.get(r) ?? 0) < (r.cap ?? Infinity));
      const route = pick(rnd, available);
      sent.set(route, (sent.get(route) ?? 0) + 1);
      const fitting = actors.filter((a) => a.kind === route.session);
      const actor = rnd() < 0.8 && fitting.length ? pick(rnd, fitting) : pick(rnd, actors);

      const fields: Record<string, unknown> = {};
      for (const f of route.fields) if (rnd() < 0.7) fields[f] = hostileValue(rnd, ids);
      if (rnd() < 0.2) fields[pick(rnd, ['extra', 'a[b]', '$where', 'constructor', 'x\u0000y'])] = hostileValue(rnd, ids);
      // The session token, usually as it is (the session is what lets hostile input reach the handlers).
      const tokenField = actor.kind === 'external' ? 's' : 'ltik';
      if (actor.token && rnd() < 0.85) fields[tokenField] = actor.token;
      else if (rnd() < 0.5) fields[tokenField] = hostileValue(rnd, ids);

      const path = route.path(rnd, ids);
      const encoding: Encoding = route.method === 'GET' ? 'query' : route.json && rnd() < 0.8 ? 'json' : pick(rnd, ['form', 'form', 'json', 'json-proto', 'raw-form', 'query']);
      let req;
      let shown: string;
      if (encoding === 'query') {
        const qs = queryText(rnd, fields);
        shown = `${path}?${qs}`.slice(0, 300);
        req = route.method === 'GET' ? actor.agent.get(`${path}?${qs}`) : actor.agent.post(`${path}?${qs}`);
      } else if (encoding === 'form') {
        shown = formText(fields).slice(0, 300);
        req = actor.agent.post(path).type('form').send(formText(fields));
      } else if (encoding === 'raw-form') {
        const raw = pick(rnd, [
          `${formText(fields)}&${Array.from({ length: 1001 }, (_, k) => `f${k}=1`).join('&')}`,
          `${formText(fields)}&a${'[0]'.repeat(5000)}=1`,
          `${formText(fields)}&%ZZ=%E0%A4%A`,
        ]);
        shown = raw.slice(0, 300);
        req = actor.agent.post(path).type('form').send(raw);
      } else {
        let text = jsonText(fields);
        if (encoding === 'json-proto') text = text.replace(/^\{/, `{"__proto__":{"isAdmin":true,"toString":1},"constructor":{"prototype":{"polluted":1}},`).replace(/,\}$/, '}');
        shown = text.slice(0, 300);
        req = actor.agent.post(path).set('Content-Type', 'application/json').send(text);
      }
      const res = await req
        .set('Accept', rnd() < 0.5 ? 'application/json' : 'text/html')
        .timeout(REQUEST_TIMEOUT_MS)
        .catch((err: { timeout?: number; message: string }) => ({ status: err.timeout ? 599 : 598, text: `no answer: ${err.message}` }));
      if (process.env.FUZZ_TRACE) console.log('TRACE', i, route.method, path.slice(0, 60), actor.name, encoding, res.status, shown.slice(0, 150));
      if (res.status >= 500) failures.push(`#${i} ${route.method} ${path} as ${actor.name} (${encoding}) → ${res.status} ${res.text.replace(/\s+/g, ' ').slice(0, 200)}\n    sent: ${shown}`);
    }
    const elapsed = Date.now() - started;
    expect(failures, `seed ${SEED}: ${failures.length} answers ≥ 500 (replay with FUZZ_SEED=${SEED}):\n${failures.slice(0, 10).join('\n')}`).to.deep.equal([]);
    expect(({} as Record<string, unknown>).isAdmin, 'no prototype was polluted').to.equal(undefined);
    expect(({} as Record<string, unknown>).polluted).to.equal(undefined);
    expect(elapsed, 'the fuzz run stays bounded').to.be.below(60_000);

    const health = await request(testServer().baseUrl).get('/health');
    expect(health.status).to.equal(200);
    const still = await actors[0].agent.get(`/lti/practicum?ltik=${encodeURIComponent(actors[0].token)}`);
    expect(still.status, 'the candidate’s session still works').to.equal(200);
    const external = await request(testServer().baseUrl).get(`/access/home?s=${encodeURIComponent(actors[5].token)}`);
    expect(external.status, 'the mentor’s external session still works').to.equal(200);
  });
});
