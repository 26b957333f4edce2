import type { AddressInfo } from 'node:net';
import { expect } from 'chai';
import { startGradeSender } from '../../src/grading/grade-sender';
import { readGradeSyncRecord, recordGradeChange } from '../../src/grading/outbox.service';
import { loadConfig } from '../../src/platform/config';
import { createShutdown, type BackgroundWorker } from '../../src/platform/graceful-shutdown';
import { createDrainableServer } from '../../src/platform/http-drain';
import { createLogger } from '../../src/platform/logger';
import { addSandboxPerson, createSandboxCourse, setSandboxAgsMode } from '../../src/sandbox';
import { placeActivity } from '../helpers/activity-kit';
import { launchAs } from '../helpers/sandbox-launch';
import { testServer } from '../helpers/test-server';

const CLAIM = {
  endpoint: 'https://purl.imsglobal.org/spec/lti-ags/claim/endpoint',
  deployment: 'https://purl.imsglobal.org/spec/lti/claim/deployment_id',
  context: 'https://purl.imsglobal.org/spec/lti/claim/context',
};

/** The shutdown sequence of src/server.ts, in-process: real HTTP and workers, a fake database and exit. */
function shutdownUnderTest(options: { timeoutMs: number; events?: string[]; handler?: Parameters<typeof createDrainableServer>[0]; workers?: BackgroundWorker[] }) {
  const listener = createDrainableServer(options.handler ?? ((_req, res) => res.end('ok')));
  const events = options.events ?? [];
  let exitWith!: (code: number) => void;
  const exited = new Promise<number>((resolve) => (exitWith = resolve));
  const shutdown = createShutdown({
    listener,
    workers: options.workers ?? [],
    closeDatabase: async () => {
      events.push('database closed');
    },
    timeoutMs: options.timeoutMs,
    logger: createLogger({ ...testServer().config, logLevel: 'silent' }),
    exit: (code) => exitWith(code),
  });
  const listen = () => new Promise<number>((resolve) => listener.server.listen(0, '127.0.0.1', () => resolve((listener.server.address() as AddressInfo).port)));
  return { listener, listen, shutdown, exited, events };
}

describe('graceful shutdown: bounded by SHUTDOWN_TIMEOUT_MS', function () {
  this.timeout(60_000);

  it('refuses a grade send timeout that does not end well inside the shutdown limit (it used to equal it)', () => {
    expect(loadConfig({ env: {} })).to.deep.include({ shutdownTimeoutMs: 15_000, grading: { sendTimeoutMs: 10_000 } });
    expect(() => loadConfig({ env: { SHUTDOWN_TIMEOUT_MS: '10000' } })).to.throw(/grading\.sendTimeoutMs: must be at least 1000 ms below SHUTDOWN_TIMEOUT_MS \(10000\).*\(set GRADE_SEND_TIMEOUT_MS\)/);
    expect(() => loadConfig({ env: { GRADE_SEND_TIMEOUT_MS: '14500' } })).to.throw(/GRADE_SEND_TIMEOUT_MS/);
    expect(loadConfig({ env: { SHUTDOWN_TIMEOUT_MS: '10000', GRADE_SEND_TIMEOUT_MS: '8000' } }).grading.sendTimeoutMs).to.equal(8000);
  });

  it('a grade send hanging on a slow LMS times out inside the limit: the sender stops, then the database closes, exit 0', async () => {
    const suffix = Math.random().toString(36).slice(2, 8);
    const course = await createSandboxCourse({ title: `EDL 701 Shutdown ${suffix}`, label: `EDL701-${suffix}` });
    const candidate = await addSandboxPerson(course.id, { name: `Candidate ${suffix}`, roles: 'candidate' });
    const faculty = await addSandboxPerson(course.id, { name: `Dr. Shutdown ${suffix}`, roles: 'faculty' });
    const placed = await placeActivity({ courseId: course.id, facultyId: faculty.id, title: `Graded ${suffix}`, points: 20, settings: { gradingMode: 'faculty-score' } });
    const launch = await launchAs(testServer().baseUrl, { personId: faculty.id, placementId: placed.id });
    const claims = launch.idTokenClaims as Record<string, unknown>;
    const activityId = placed.custom.activity_id;
    await setSandboxAgsMode('slow', { courseId: course.id });
    try {
      await recordGradeChange({
        activityId,
        contextId: (claims[CLAIM.context] as { id: string }).id,
        iss: String(claims.iss),
        clientId: Array.isArray(claims.aud) ? String(claims.aud[0]) : String(claims.aud),
        deploymentId: String(claims[CLAIM.deployment]),
        lineItemUrl: (claims[CLAIM.endpoint] as { lineitem: string }).lineitem,
        userSub: candidate.sub,
        scoreGiven: 15,
        scoreMaximum: 20,
        activityProgress: 'Completed',
        gradingProgress: 'FullyGraded',
        isTestUser: false,
      });
      const outbox = () => readGradeSyncRecord(activityId, candidate.sub);
      // As server.ts passes it: the configured send timeout, 1.5 s here against a 3 s limit.
      const sender = startGradeSender({ logger: createLogger({ ...testServer().config, logLevel: 'silent' }), timeoutMs: 1_500, intervalMs: 60_000 });
      const events: string[] = [];
      const subject = shutdownUnderTest({ timeoutMs: 3_000, events, workers: [{ name: 'grade sender', stop: () => sender.stop().then(() => void events.push('sender stopped')) }] });
      await subject.listen();
      const deadline = Date.now() + 10_000;
      while (!(await outbox())?.lockedBy && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      expect((await outbox())?.lockedBy, 'the sender is sending the grade').to.be.a('string');

      const started = Date.now();
      void subject.shutdown('SIGTERM');
      expect(await subject.exited).to.equal(0);
      expect(Date.now() - started).to.be.below(3_000);
      expect(subject.events).to.deep.equal(['sender stopped', 'database closed']);
      // The send ended at its timeout and was recorded while the database was still open.
      const doc = await outbox();
      expect(doc).to.include({ state: 'retrying', attempts: 1 });
      expect(doc!.reason).to.match(/did not answer within 1\.5 s/);
    } finally {
      await setSandboxAgsMode('up', { courseId: course.id });
    }
  });

  it('background work still running at the limit is left (exit 0); a request still running is cut (exit 1); both within the limit', async () => {
    const stuck = shutdownUnderTest({ timeoutMs: 1_500, workers: [{ name: 'stuck', stop: () => new Promise(() => undefined) }] });
    await stuck.listen();
    let started = Date.now();
    void stuck.shutdown('SIGTERM');
    expect(await stuck.exited).to.equal(0);
    expect(Date.now() - started).to.be.below(1_500);
    expect(stuck.events).to.deep.equal(['database closed']);

    const hanging = shutdownUnderTest({ timeoutMs: 1_500, handler: () => undefined });
    const port = await hanging.listen();
    const request = fetch(`http://127.0.0.1:${port}/`).then(
      () => 'answered',
      () => 'cut',
    );
    while (hanging.listener.inFlight === 0) await new Promise((r) => setTimeout(r, 10));
    started = Date.now();
    void hanging.shutdown('SIGTERM');
    expect(await hanging.exited).to.equal(1);
    expect(Date.now() - started).to.be.below(1_500);
    expect(await request).to.equal('cut');
  });
});
