import net from 'node:net';
import { expect } from 'chai';
import mongoose from 'mongoose';
import { COMPLETE_ENTRY } from '../practicum/practicum-kit';
import { startServerProcess, type ServerProcess } from '../helpers/server-process';
import { deepLinkAs, launchAs, returnDeepLink, submitPicker, type Agent } from '../helpers/sandbox-launch';

type LogLine = { msg?: string; pid?: number; uri?: string; [k: string]: unknown };

function logLines(server: ServerProcess): LogLine[] {
  return server
    .output()
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => {
      try {
        return JSON.parse(l) as LogLine;
      } catch {
        return {};
      }
    });
}

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until<T>(what: string, probe: () => Promise<T | null | undefined | false>, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe().catch(() => null);
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await pause(100);
  }
}

/** Binds host:port as soon as it is free (FerretDB just died), within timeoutMs; null if someone else got it. */
async function grabPort(port: number, timeoutMs: number): Promise<net.Server | null> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const server = net.createServer((socket) => socket.destroy());
    const bound = await new Promise<boolean>((resolve) => {
      server.once('error', () => resolve(false));
      server.listen(port, '127.0.0.1', () => resolve(true));
    });
    if (bound) return server;
    await pause(5);
  }
  return null;
}

interface Answer {
  kind: string;
  status: number;
  ms: number;
  startedAt: number;
  error?: string;
  retryAfter?: string;
  isJson: boolean;
  description?: string;
  text?: string;
}

/**
 * The embedded FerretDB is a child process of `npm start`; here it is SIGKILLed in the middle of a
 * burst of requests, and its port is held by someone else for a few seconds so the outage is long
 * enough to see. Fieldbook must answer quick 503s meanwhile (never a 500, never a hang), restart
 * FerretDB on the same port and data by itself, and afterwards lose nothing: data written before
 * the kill is there, every save that was answered 200 is stored, every save refused as
 * "nothing saved" is not, and a grade due during the outage reaches the Sandbox gradebook.
 */
describe('embedded database supervision: FerretDB killed under load', function () {
  this.timeout(120_000);
  let server: ServerProcess;
  let db: mongoose.Connection;

  before(async () => {
    server = await startServerProcess();
  });
  after(async () => {
    await db?.close().catch(() => undefined);
    server?.cleanUp();
  });

  it('answers 503 quickly while it is down, restarts it on the same port and data, and loses nothing', async () => {
    const base = `http://127.0.0.1:${server.port}`;
    const started = logLines(server).find((l) => l.msg === 'embedded FerretDB started')!;
    expect(started?.pid, server.output()).to.be.a('number');
    const ferretUri = String(started.uri);
    const port = Number(new URL(ferretUri).port);
    // The test reads and switches Sandbox state straight in the server's database (it has no HTTP API for it).
    db = await mongoose.createConnection(`${ferretUri.replace(/\/$/, '')}/fieldbook`, { serverSelectionTimeoutMS: 3000 }).asPromise();

    // The seeded demo course: a faculty member places a faculty-graded activity by deep linking.
    const course = await db.collection('sandbox_courses').findOne({ key: 'seed:course:edl610' });
    const person = async (key: string) => (await db.collection('sandbox_people').findOne({ key: `seed:person:${key}` }))!;
    const [ana, ben, carla] = await Promise.all([person('ana'), person('ben'), person('carla')]);
    const addActivity = (await db.collection('sandbox_placements').findOne({ key: 'seed:placement:add-activity' }))!;
    const title = `Supervised ${Math.random().toString(36).slice(2, 8)}`;
    const picker = await deepLinkAs(base, { personId: String(carla._id), placementId: String(addActivity._id) });
    const submitted = await submitPicker(picker.agent, picker.text, { activityType: 'practicum-log', title, pointsPossible: '20', gradingMode: 'faculty-score' });
    expect(submitted.status, submitted.text).to.equal(200);
    expect((await returnDeepLink(base, picker.agent, submitted.text)).status).to.equal(200);
    const placement = (await db.collection('sandbox_placements').findOne({ courseId: course!._id, createdByDeepLink: true, title }))!;

    const open = async (p: { _id: unknown }) => {
      const res = await launchAs(base, { personId: String(p._id), placementId: String(placement._id) });
      expect(res.status, res.text.slice(0, 300)).to.equal(200);
      return { agent: res.agent, ltik: res.ltik! };
    };
    const [anaSession, benSession, carlaSession] = [await open(ana), await open(ben), await open(carla)];
    const describe = (tag: string) => `Entry ${tag}: co-observed two classrooms with the principal and drafted feedback.`;
    const saveEntry = (s: { agent: Agent; ltik: string }, description: string) =>
      s.agent
        .post('/lti/practicum/entries')
        .type('form')
        .timeout(10_000)
        .send({ ltik: s.ltik, ...COMPLETE_ENTRY, description: describe(description), formToken: `sup-${description}-token-abcdef`, intent: 'submit' });
    const before = await saveEntry(anaSession, 'written-before-the-kill');
    expect(before.status, before.text.slice(0, 300)).to.equal(200);

    // A grade recorded while the course's LMS answers 429 (Retry-After 2 s): it waits in the outbox, due during the outage.
    const settings = db.collection('sandbox_settings');
    await settings.updateOne({ key: `course:${String(course!._id)}` }, { $set: { agsMode: 'rate-limited', retryAfterSeconds: 2 } }, { upsert: true });
    const graded = await carlaSession.agent.post('/lti/scores').type('form').send({ ltik: carlaSession.ltik, userId: ana.sub, scoreGiven: '17', comment: 'Before the outage' });
    expect(graded.status, graded.text.slice(0, 300)).to.be.below(300);
    const gradebookScore = () => db.collection('sandbox_scores').findOne({ userId: ana.sub, scoreGiven: 17, recordedInGradebook: true });
    expect(await gradebookScore(), 'the LMS has not taken the grade yet').to.equal(null);
    await settings.updateOne({ key: `course:${String(course!._id)}` }, { $set: { agsMode: null } });

    // The burst: candidates saving entries (forms and JSON autosaves) and Sandbox launch pages.
    const answers: Answer[] = [];
    let isBursting = true;
    let n = 0;
    const record = async (kind: string, send: () => Promise<{ status: number; headers: Record<string, string>; text: string; body?: unknown }>, description?: string) => {
      const startedAt = Date.now();
      try {
        const res = await send();
        const isJson = String(res.headers['content-type'] ?? '').includes('application/json');
        const error = isJson ? (res.body as { error?: string }).error : /database_(?:unavailable|interrupted)/.exec(res.text)?.[0];
        const text = res.status === 200 ? undefined : res.text.slice(0, 2000);
        answers.push({ kind, status: res.status, ms: Date.now() - startedAt, startedAt, error, retryAfter: res.headers['retry-after'], isJson, description, text });
      } catch (err) {
        answers.push({ kind, status: 0, ms: Date.now() - startedAt, startedAt, error: String(err), isJson: false, description });
      }
    };
    const worker = async (step: () => Promise<void>) => {
      while (isBursting) await step();
    };
    const burst = Promise.all([
      worker(() => {
        const d = `ana-${(n += 1)}`;
        return record('entry', () => saveEntry(anaSession, d), d);
      }),
      worker(() => {
        const d = `ben-${(n += 1)}`;
        return record('entry', () => saveEntry(benSession, d), d);
      }),
      worker(() =>
        record('autosave', () =>
          benSession.agent
            .post('/lti/practicum/entries/autosave')
            .set('Accept', 'application/json')
            .timeout(10_000)
            .send({ ltik: benSession.ltik, description: `draft-${(n += 1)}`, hours: '0.5', formToken: `sup-draft-${n}-token-abcdef` }),
        ),
      ),
      ...[ana, carla].map((p) => worker(() => record('sandbox-launch', () => anaSession.agent.get(`/sandbox/launch/${String(placement._id)}/${String(p._id)}`).timeout(10_000)))),
    ]);

    await pause(1000);
    // SIGKILL FerretDB and take its port before the supervisor's first restart (0.2 s later); should
    // the supervisor still win the race on a loaded machine, kill the restarted one too.
    let holder: net.Server | null = null;
    let killedAt = 0;
    let pid = started.pid!;
    for (let round = 0; round < 4 && !holder; round += 1) {
      killedAt = Date.now();
      process.kill(pid, 'SIGKILL');
      holder = await grabPort(port, 1500);
      if (!holder) pid = (await until('the restarted FerretDB', async () => logLines(server).filter((l) => l.msg === 'embedded FerretDB restarted on the same port and data').pop()?.pid, 10_000))!;
    }
    expect(holder, 'the test held the port FerretDB had').to.not.equal(null);
    await pause(3000);
    const healthWhileDown = await fetch(`${base}/health`);
    expect(healthWhileDown.status).to.equal(503);
    await new Promise((r) => holder!.close(r));
    const releasedAt = Date.now();

    await until('/health 200', async () => (await fetch(`${base}/health`)).status === 200, 20_000);
    const backAt = Date.now();
    await pause(2000);
    isBursting = false;
    await burst;

    // During the outage: quick 503s with Retry-After and plain words; never a 500, never a hang.
    const timeline = JSON.stringify({ killedAt, releasedAt, backAt });
    const tooSlow = answers.filter((a) => a.ms > 3000).map(({ text: _text, ...a }) => a);
    expect(tooSlow, timeline).to.deep.equal([]);
    const unexpected = answers.filter((a) => a.status !== 200 && a.status !== 503);
    expect(unexpected, JSON.stringify(unexpected)).to.deep.equal([]);
    const refused = answers.filter((a) => a.status === 503);
    expect(refused.length, 'requests were refused while the database was down').to.be.greaterThan(10);
    for (const a of refused) {
      expect(a.retryAfter, JSON.stringify(a)).to.equal('10');
      expect(a.error, JSON.stringify(a)).to.be.oneOf(['database_unavailable', 'database_interrupted']);
      expect(a.startedAt, 'a 503 only while the database was down').to.be.within(killedAt - 3000, backAt);
    }
    expect(refused.filter((a) => a.kind === 'autosave').every((a) => a.isJson), 'JSON callers get JSON').to.equal(true);
    expect(refused.some((a) => a.kind === 'sandbox-launch'), 'the Sandbox answers 503 too').to.equal(true);
    const page = refused.find((a) => a.kind === 'entry' && a.error === 'database_unavailable');
    expect(page?.text, 'a browser is told in plain words').to.include('Fieldbook is reconnecting to its database. Nothing you sent was saved; please try again in a minute.');

    // After the outage, every request succeeded.
    const afterwards = answers.filter((a) => a.startedAt > backAt + 500);
    expect(afterwards.length).to.be.greaterThan(5);
    expect(afterwards.filter((a) => a.status !== 200), JSON.stringify(afterwards.filter((a) => a.status !== 200))).to.deep.equal([]);

    // The supervisor: logged the exit, the taken port, the restart on the same port; a new process.
    const logs = logLines(server);
    expect(logs.some((l) => l.msg === 'embedded FerretDB exited unexpectedly; restarting it' && l.signal === 'SIGKILL')).to.equal(true);
    expect(logs.some((l) => String(l.msg).includes('its port was taken by another process meanwhile') && l.port === port)).to.equal(true);
    const restarted = logs.filter((l) => l.msg === 'embedded FerretDB restarted on the same port and data').pop();
    expect(restarted?.uri).to.equal(ferretUri);
    expect(restarted?.pid).to.be.a('number').and.not.equal(pid);
    expect(logs.some((l) => l.msg === 'database available again')).to.equal(true);
    expect(backAt - releasedAt, 'back within seconds of the port being free').to.be.below(10_000);

    // Nothing lost: what was written before is there; every save answered 200 is stored, once; a
    // save refused with "nothing saved" is not.
    await until('the test connection back', async () => (await db.db!.admin().ping()) && true, 15_000);
    const entries = db.collection('practicum_entries');
    const stored = async (tag: string) => entries.countDocuments({ description: describe(tag) });
    expect(await stored('written-before-the-kill')).to.equal(1);
    for (const a of answers.filter((x) => x.kind === 'entry')) {
      if (a.status === 200) expect(await stored(a.description!), `${a.description} was answered 200`).to.equal(1);
      if (a.error === 'database_unavailable') expect(await stored(a.description!), `${a.description} was refused as not saved`).to.equal(0);
    }

    // The grade recorded before the kill (due during the outage) reaches the gradebook by itself.
    const score = await until('the grade in the Sandbox gradebook', gradebookScore, 30_000);
    expect(score.comment).to.equal('Before the outage');
  });
});
