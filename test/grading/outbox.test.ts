import { expect } from 'chai';
import mongoose from 'mongoose';
import request from 'supertest';
import { runGradeSenderOnce, startGradeSender } from '../../src/grading/grade-sender';
import { forgetScoreTokenCopies } from '../../src/grading/ags-score.client';
import { CLAIM_LEASE_MS, completeSent, readClaim, requeueStuckGrades, takeTickets, upgradeGradeOutbox, type ClaimCandidate } from '../../src/grading/outbox-delivery';
import { GradeClaimTicketModel, GradeDeliveryModel, GradeDueModel, GradeOutboxModel, gradeSyncId } from '../../src/grading/outbox.model';
import { claimGrade, findDueGrades, readGradeSyncRecord, recordGradeChange, retryGradeSync, listGradeSync, TEST_USER_REASON, type GradeChange } from '../../src/grading/outbox.service';
import { AppError } from '../../src/platform/errors';
import { createLogger } from '../../src/platform/logger';
import {
  AGS_SCOPES,
  addSandboxPerson,
  createSandboxCourse,
  getSandboxGrade,
  getSandboxRejectedScores,
  getSandboxScores,
  getSandboxTokenStats,
  issueSandboxAccessTokenForTests,
  revokeSandboxTokens,
  setSandboxAgsMode,
  type SandboxPersonView,
  type SandboxPlacementView,
} from '../../src/sandbox';
import { placeActivity } from '../helpers/activity-kit';
import { decodeHtml, launchAs, type LaunchResult } from '../helpers/sandbox-launch';
import { testServer } from '../helpers/test-server';

const ENDPOINT_CLAIM = 'https://purl.imsglobal.org/spec/lti-ags/claim/endpoint';
const DEPLOYMENT_CLAIM = 'https://purl.imsglobal.org/spec/lti/claim/deployment_id';
const CONTEXT_CLAIM = 'https://purl.imsglobal.org/spec/lti/claim/context';

interface Fixture {
  courseId: string;
  candidates: SandboxPersonView[];
  testStudent: SandboxPersonView;
  faculty: SandboxPersonView;
  placed: SandboxPlacementView;
  facultyLaunch: LaunchResult;
  activityId: string;
  /** A grade change for this activity, as the launch claims describe the gradebook column. */
  change(person: SandboxPersonView, scoreGiven: number | null, overrides?: Partial<GradeChange>): GradeChange;
}

/** Its own course (so AGS modes do not disturb other tests), candidates, a placed activity and a faculty launch. */
async function buildFixture(candidateCount = 1): Promise<Fixture> {
  const suffix = Math.random().toString(36).slice(2, 8);
  const course = await createSandboxCourse({ title: `EDL 700 Outbox ${suffix}`, label: `EDL700-${suffix}` });
  const candidates = await Promise.all(
    Array.from({ length: candidateCount }, (_, i) => addSandboxPerson(course.id, { name: `Candidate ${i + 1} ${suffix}`, roles: 'candidate' })),
  );
  const testStudent = await addSandboxPerson(course.id, { name: 'Test Student', roles: 'test-student' });
  const faculty = await addSandboxPerson(course.id, { name: `Dr. Outbox ${suffix}`, roles: 'faculty' });
  const placed = await placeActivity({ courseId: course.id, facultyId: faculty.id, title: `Graded work ${suffix}`, points: 20, settings: { gradingMode: 'faculty-score' } });
  const facultyLaunch = await launchAs(testServer().baseUrl, { personId: faculty.id, placementId: placed.id });
  expect(facultyLaunch.status, facultyLaunch.text).to.equal(200);
  const claims = facultyLaunch.idTokenClaims as Record<string, unknown>;
  const endpoint = claims[ENDPOINT_CLAIM] as { lineitem?: string };
  expect(endpoint.lineitem, 'the launch names the gradebook column').to.be.a('string');
  const activityId = placed.custom.activity_id;
  const base = {
    activityId,
    contextId: (claims[CONTEXT_CLAIM] as { id: string }).id,
    iss: String(claims.iss),
    clientId: Array.isArray(claims.aud) ? String(claims.aud[0]) : String(claims.aud),
    deploymentId: String(claims[DEPLOYMENT_CLAIM]),
    lineItemUrl: endpoint.lineitem!,
  };
  return {
    courseId: course.id,
    candidates,
    testStudent,
    faculty,
    placed,
    facultyLaunch,
    activityId,
    change: (person, scoreGiven, overrides = {}) => ({
      ...base,
      userSub: person.sub,
      userName: person.name,
      scoreGiven,
      scoreMaximum: 20,
      activityProgress: 'Completed',
      gradingProgress: 'FullyGraded',
      isTestUser: false,
      ...overrides,
    }),
  };
}

/** The grade's sync record: the outbox document with its delivery and queue entry. */
const outboxOf = (f: Fixture, person: SandboxPersonView) => readGradeSyncRecord(f.activityId, person.sub);
const later = (ms: number) => new Date(Date.now() + ms);

describe('grade outbox: durable grade passback to the LMS', () => {
  it('sends a recorded grade once with the change time as timestamp; it is in the Sandbox gradebook; no token per score', async () => {
    const f = await buildFixture(2);
    const [first, second] = f.candidates;
    await recordGradeChange(f.change(first, 17, { comment: 'Well argued' }));
    await recordGradeChange(f.change(second, 12));
    const tokensBefore = await getSandboxTokenStats();

    await runGradeSenderOnce();

    expect(await getSandboxGrade(f.placed.lineItemId!, first.sub)).to.include({ scoreGiven: 17, scoreMaximum: 20, comment: 'Well argued' });
    expect(await getSandboxGrade(f.placed.lineItemId!, second.sub)).to.include({ scoreGiven: 12, scoreMaximum: 20 });
    const doc = await outboxOf(f, first);
    expect(doc).to.include({ state: 'sent', version: 1, sentVersion: 1, sentScoreGiven: 17, attempts: 0, lockedBy: null });
    const [score] = await getSandboxScores(f.placed.lineItemId!, first.sub);
    expect(score.timestampText).to.equal(doc!.changedAt.toISOString());
    const tokensAfter = await getSandboxTokenStats();
    expect(tokensAfter.tokenRequests - tokensBefore.tokenRequests, 'access tokens come from the per-scope cache').to.be.at.most(1);

    await runGradeSenderOnce();
    expect(await getSandboxScores(f.placed.lineItemId!, first.sub)).to.have.length(1);
    expect(await getSandboxScores(f.placed.lineItemId!, second.sub)).to.have.length(1);
  });

  it('a burst sent several at a time asks the LMS for one access token, not one per concurrent send', async () => {
    const f = await buildFixture(6);
    for (const [i, c] of f.candidates.entries()) await recordGradeChange(f.change(c, i + 2));
    // ltijs keeps the token for an hour (and this process a copy): forget both, so every concurrent send would need one.
    await mongoose.connection.collection('accesstokens').deleteMany({});
    forgetScoreTokenCopies();
    const tokensBefore = await getSandboxTokenStats();
    const round = await runGradeSenderOnce({ concurrency: 6 });
    const tokensAfter = await getSandboxTokenStats();
    expect(round.sent).to.be.at.least(6);
    expect(tokensAfter.tokenRequests - tokensBefore.tokenRequests).to.equal(1);
    for (const [i, c] of f.candidates.entries()) expect(await getSandboxGrade(f.placed.lineItemId!, c.sub)).to.include({ scoreGiven: i + 2 });
  });

  it('a cached access token the LMS answers 401 to is discarded: the send is retried once with one new token and the grade lands', async () => {
    const f = await buildFixture(5);
    const [first, second, ...burst] = f.candidates;
    await recordGradeChange(f.change(first, 11));
    await runGradeSenderOnce();
    expect(await getSandboxGrade(f.placed.lineItemId!, first.sub), 'a token is now cached').to.include({ scoreGiven: 11 });
    // The LMS stops honouring the tokens it issued; ltijs still holds one it believes valid for the hour.
    expect(await revokeSandboxTokens({ scope: AGS_SCOPES.score })).to.be.at.least(1);

    await recordGradeChange(f.change(second, 14));
    let tokensBefore = await getSandboxTokenStats();
    await runGradeSenderOnce();
    let tokensAfter = await getSandboxTokenStats();
    expect(await outboxOf(f, second)).to.include({ state: 'sent', sentVersion: 1, attempts: 0, reason: null });
    expect(await getSandboxGrade(f.placed.lineItemId!, second.sub)).to.include({ scoreGiven: 14, scoreMaximum: 20 });
    expect(tokensAfter.tokenRequests - tokensBefore.tokenRequests, 'one new token').to.equal(1);
    expect(tokensAfter.tokensIssued - tokensBefore.tokensIssued).to.equal(1);

    // Concurrent sends that all meet the revoked token share one new token and keep it.
    await revokeSandboxTokens({ scope: AGS_SCOPES.score });
    for (const [i, c] of burst.entries()) await recordGradeChange(f.change(c, i + 5));
    tokensBefore = await getSandboxTokenStats();
    await runGradeSenderOnce({ concurrency: burst.length });
    tokensAfter = await getSandboxTokenStats();
    for (const [i, c] of burst.entries()) expect(await getSandboxGrade(f.placed.lineItemId!, c.sub)).to.include({ scoreGiven: i + 5 });
    expect(tokensAfter.tokenRequests - tokensBefore.tokenRequests, 'one new token, not one per send').to.equal(1);
  });

  it('a grade recorded before outbox documents were keyed by (activity, candidate) is updated in place and sent, never duplicated', async () => {
    const f = await buildFixture();
    const [candidate] = f.candidates;
    const change = f.change(candidate, 9);
    await GradeOutboxModel.init();
    const legacyId = new mongoose.Types.ObjectId();
    const now = new Date();
    const { userName, comment, ...fields } = change;
    await GradeOutboxModel.collection.insertOne({
      _id: legacyId as never,
      ...fields,
      userName: userName ?? '',
      comment: comment ?? null,
      scoreGiven: 4,
      version: 1,
      changedAt: now,
      state: 'sent',
      attempts: 0,
      nextAttemptAt: null,
      claimCount: 1,
      sentVersion: 1,
      sentScoreGiven: 4,
      sentTimestamp: new Date(now.getTime() - 60_000),
      sentAt: now,
    });
    await recordGradeChange(change);
    const docs = await GradeOutboxModel.find({ activityId: f.activityId, userSub: candidate.sub }).lean();
    expect(docs).to.have.length(1);
    expect(String(docs[0]._id)).to.equal(String(legacyId));
    expect(await outboxOf(f, candidate)).to.include({ state: 'pending', version: 2, scoreGiven: 9, sentVersion: 1 });
    const round = await runGradeSenderOnce();
    expect(round).to.include({ sent: 1, skipped: 0 });
    expect(await getSandboxGrade(f.placed.lineItemId!, candidate.sub)).to.include({ scoreGiven: 9 });
    expect(await outboxOf(f, candidate)).to.include({ state: 'sent', sentVersion: 2 });
    expect(String((await outboxOf(f, candidate))!._id)).to.equal(String(legacyId));
  });

  it('AGS down → retrying with attempts and a backed-off nextAttemptAt; back up → sent on a later round, nothing lost', async () => {
    const f = await buildFixture();
    const [candidate] = f.candidates;
    await setSandboxAgsMode('down', { courseId: f.courseId });
    try {
      await recordGradeChange(f.change(candidate, 9));
      const startedAt = Date.now();
      await runGradeSenderOnce();
      let doc = await outboxOf(f, candidate);
      expect(doc).to.include({ state: 'retrying', attempts: 1, lockedBy: null });
      expect(doc!.reason).to.match(/503/);
      const firstWait = doc!.nextAttemptAt!.getTime() - startedAt;
      expect(firstWait).to.be.within(24_000 - 50, 36_000 + 1_000);

      await runGradeSenderOnce();
      expect((await outboxOf(f, candidate))?.attempts, 'not due yet: not tried again').to.equal(1);

      await runGradeSenderOnce({ now: new Date(doc!.nextAttemptAt!.getTime() + 1_000) });
      doc = await outboxOf(f, candidate);
      expect(doc).to.include({ state: 'retrying', attempts: 2 });
      expect(doc!.nextAttemptAt!.getTime() - doc!.lastAttemptAt!.getTime()).to.be.within(48_000, 72_000);

      await setSandboxAgsMode('up', { courseId: f.courseId });
      await runGradeSenderOnce({ now: new Date(doc!.nextAttemptAt!.getTime() + 1_000) });
    } finally {
      await setSandboxAgsMode('up', { courseId: f.courseId });
    }
    expect(await outboxOf(f, candidate)).to.include({ state: 'sent', sentVersion: 1, attempts: 0, reason: null });
    expect(await getSandboxGrade(f.placed.lineItemId!, candidate.sub)).to.include({ scoreGiven: 9 });
    expect(await getSandboxScores(f.placed.lineItemId!, candidate.sub)).to.have.length(1);
  });

  it('rate limited (429) → retrying no sooner than Retry-After', async () => {
    const f = await buildFixture();
    const [candidate] = f.candidates;
    await setSandboxAgsMode('rate-limited', { courseId: f.courseId, retryAfterSeconds: 7 });
    try {
      await recordGradeChange(f.change(candidate, 4));
      await runGradeSenderOnce();
    } finally {
      await setSandboxAgsMode('up', { courseId: f.courseId });
    }
    const doc = await outboxOf(f, candidate);
    expect(doc).to.include({ state: 'retrying', attempts: 1 });
    expect(doc!.reason).to.match(/429/);
    expect(doc!.nextAttemptAt!.getTime() - doc!.lastAttemptAt!.getTime()).to.equal(7_000);
    await runGradeSenderOnce({ now: later(8_000) });
    expect(await outboxOf(f, candidate)).to.include({ state: 'sent' });
    expect(await getSandboxScores(f.placed.lineItemId!, candidate.sub)).to.have.length(1);
  });

  it('a slow LMS becomes a timeout and a retry, not a hang', async () => {
    const f = await buildFixture();
    const [candidate] = f.candidates;
    await setSandboxAgsMode('slow', { courseId: f.courseId });
    let elapsed = 0;
    try {
      await recordGradeChange(f.change(candidate, 15));
      const started = Date.now();
      await runGradeSenderOnce({ timeoutMs: 700 });
      elapsed = Date.now() - started;
    } finally {
      await setSandboxAgsMode('up', { courseId: f.courseId });
    }
    expect(elapsed).to.be.below(5_000);
    const doc = await outboxOf(f, candidate);
    expect(doc).to.include({ state: 'retrying', attempts: 1 });
    expect(doc!.reason).to.match(/did not answer within 0\.7 s/);
    expect(await getSandboxScores(f.placed.lineItemId!, candidate.sub), 'the aborted request never landed').to.have.length(0);
    await runGradeSenderOnce({ now: later(60_000) });
    expect(await outboxOf(f, candidate)).to.include({ state: 'sent' });
    expect(await getSandboxScores(f.placed.lineItemId!, candidate.sub)).to.have.length(1);
  });

  it('a refusal (Canvas 422 for a non-learner) → failed with the platform reason, not retried until retryGradeSync', async () => {
    const f = await buildFixture();
    await recordGradeChange(f.change(f.faculty, 10));
    const refusals = async () => (await getSandboxRejectedScores(f.courseId)).filter((r) => r.userId === f.faculty.sub).length;

    await runGradeSenderOnce();
    const doc = await outboxOf(f, f.faculty);
    expect(doc).to.include({ state: 'failed', attempts: 1, nextAttemptAt: null });
    expect(doc!.reason).to.equal('The LMS answered 422: User not found in course or is not a student');
    expect(await refusals()).to.equal(1);

    await runGradeSenderOnce({ now: later(2 * 60 * 60 * 1000) });
    expect(await refusals(), 'no automatic retry').to.equal(1);
    const [view] = (await listGradeSync(f.activityId)).filter((v) => v.userSub === f.faculty.sub);
    expect(view).to.include({ state: 'failed', canRetry: true, attempts: 1, lastSentScore: null });

    await retryGradeSync(f.activityId, f.faculty.sub);
    expect(await outboxOf(f, f.faculty)).to.include({ state: 'pending', attempts: 0, reason: null });
    await runGradeSenderOnce();
    expect(await refusals()).to.equal(2);
    expect(await outboxOf(f, f.faculty)).to.include({ state: 'failed' });
  });

  it('two senders with different owners running at once send each change exactly once', async () => {
    const f = await buildFixture(5);
    for (const [i, c] of f.candidates.entries()) await recordGradeChange(f.change(c, i + 1));
    const rounds = await Promise.all([runGradeSenderOnce({ owner: 'process-a' }), runGradeSenderOnce({ owner: 'process-b' })]);
    expect(rounds[0].sent + rounds[1].sent).to.be.at.least(5);
    for (const [i, c] of f.candidates.entries()) {
      expect(await getSandboxScores(f.placed.lineItemId!, c.sub), c.name).to.have.length(1);
      expect(await getSandboxGrade(f.placed.lineItemId!, c.sub)).to.include({ scoreGiven: i + 1 });
      expect(await outboxOf(f, c)).to.include({ state: 'sent', sentVersion: 1 });
    }
  });

  it('a sender holding an older read of the send queue never writes to a grade another sender claimed and sent', async () => {
    const f = await buildFixture();
    const [candidate] = f.candidates;
    await recordGradeChange(f.change(candidate, 12));
    const stale = (await findDueGrades(new Date(), 100)).find((d) => d.userSub === candidate.sub);
    expect(stale, 'the change is due').to.not.equal(undefined);
    await runGradeSenderOnce({ owner: 'process-a' });
    const sent = await outboxOf(f, candidate);
    expect(sent).to.include({ state: 'sent', lockedBy: null });
    expect(await claimGrade(stale!, 'process-late', new Date()), 'nothing left to send').to.equal(null);
    expect(await outboxOf(f, candidate)).to.include({ state: 'sent', lockedBy: null, claimCount: sent!.claimCount });
    expect(await getSandboxScores(f.placed.lineItemId!, candidate.sub)).to.have.length(1);
  });

  it('a change recorded while a send is in flight is sent afterwards: the newer version wins', async () => {
    const f = await buildFixture();
    const [candidate] = f.candidates;
    await recordGradeChange(f.change(candidate, 10));
    let isChanged = false;
    await runGradeSenderOnce({
      beforeSend: async (claim) => {
        if (claim.userSub !== candidate.sub || isChanged) return;
        isChanged = true;
        await new Promise((resolve) => setTimeout(resolve, 5));
        await recordGradeChange(f.change(candidate, 18, { comment: 'Revised' }));
      },
    });
    expect(isChanged).to.equal(true);
    await runGradeSenderOnce();
    const scores = await getSandboxScores(f.placed.lineItemId!, candidate.sub);
    expect(scores.map((s) => s.scoreGiven)).to.deep.equal([18, 10]);
    expect(await getSandboxGrade(f.placed.lineItemId!, candidate.sub)).to.include({ scoreGiven: 18, comment: 'Revised' });
    expect(await outboxOf(f, candidate)).to.include({ state: 'sent', version: 2, sentVersion: 2, sentScoreGiven: 18 });
  });

  it('a stale-timestamp refusal (Canvas 400) is re-stamped with now and sent', async () => {
    const f = await buildFixture();
    const [candidate] = f.candidates;
    await recordGradeChange(f.change(candidate, 11));
    await new Promise((resolve) => setTimeout(resolve, 20));
    // Another writer posts a later score for the same person and column before our sender runs.
    const token = await issueSandboxAccessTokenForTests([AGS_SCOPES.score]);
    const otherAt = new Date();
    const scoresUrl = new URL(`${f.placed.lineItemId}/scores`, `${f.change(candidate, 0).lineItemUrl!.replace(/[^/]+$/, '')}`);
    const posted = await request(scoresUrl.origin)
      .post(scoresUrl.pathname)
      .set('Authorization', `Bearer ${token}`)
      .set('Content-Type', 'application/vnd.ims.lis.v1.score+json')
      .send(JSON.stringify({ userId: candidate.sub, scoreGiven: 3, scoreMaximum: 20, activityProgress: 'Completed', gradingProgress: 'FullyGraded', timestamp: otherAt.toISOString() }));
    expect(posted.status, posted.text).to.equal(200);

    await runGradeSenderOnce();
    const doc = await outboxOf(f, candidate);
    expect(doc).to.include({ state: 'sent', sentScoreGiven: 11 });
    expect(doc!.sentTimestamp!.getTime()).to.be.above(otherAt.getTime());
    expect(await getSandboxGrade(f.placed.lineItemId!, candidate.sub)).to.include({ scoreGiven: 11 });
    const refused = (await getSandboxRejectedScores(f.courseId)).filter((r) => r.userId === candidate.sub);
    expect(refused).to.have.length(1);
    expect(refused[0].reason).to.match(/timestamp/);
  });

  it('an LMS test user is recorded as skipped and never sent', async () => {
    const f = await buildFixture();
    await recordGradeChange(f.change(f.testStudent, 8, { isTestUser: true }));
    await runGradeSenderOnce({ now: later(24 * 60 * 60 * 1000) });
    expect(await outboxOf(f, f.testStudent)).to.include({ state: 'skipped', reason: TEST_USER_REASON, attempts: 0, sentVersion: 0 });
    expect(await getSandboxScores(f.placed.lineItemId!, f.testStudent.sub)).to.have.length(0);
    expect((await getSandboxRejectedScores(f.courseId)).filter((r) => r.userId === f.testStudent.sub)).to.have.length(0);
    const error = await retryGradeSync(f.activityId, f.testStudent.sub).catch((err: unknown) => err);
    expect(error).to.be.instanceOf(AppError).with.property('status', 400);
  });

  it('the background sender sends when kicked and stops cleanly (no timer left running)', async () => {
    const f = await buildFixture();
    const [candidate] = f.candidates;
    const sender = startGradeSender({ logger: createLogger({ ...testServer().config, logLevel: 'silent' }), intervalMs: 60 * 60 * 1000 });
    try {
      await recordGradeChange(f.change(candidate, 13));
      sender.kick();
      const deadline = Date.now() + 10_000;
      while ((await outboxOf(f, candidate))?.state !== 'sent' && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
    } finally {
      await sender.stop();
    }
    expect(await outboxOf(f, candidate)).to.include({ state: 'sent' });
    expect(await getSandboxScores(f.placed.lineItemId!, candidate.sub)).to.have.length(1);
  });

  it('keeps concurrent first changes for one person in one document (unique index guards the upsert)', async () => {
    const f = await buildFixture();
    const [candidate] = f.candidates;
    await Promise.all([recordGradeChange(f.change(candidate, 1)), recordGradeChange(f.change(candidate, 2)), recordGradeChange(f.change(candidate, 3))]);
    expect(await GradeOutboxModel.countDocuments({ activityId: f.activityId, userSub: candidate.sub })).to.equal(1);
    await runGradeSenderOnce();
    const doc = await outboxOf(f, candidate);
    expect(doc).to.include({ state: 'sent' });
    expect((await getSandboxGrade(f.placed.lineItemId!, candidate.sub))?.scoreGiven).to.equal(doc!.scoreGiven);
  });
});

describe('grade outbox: no scans and no lost changes on the send path', () => {
  it('every operation of a send is by _id, except one read of the send queue per batch; tickets and queue removals are one operation per batch', async () => {
    const f = await buildFixture(5);
    for (const [i, c] of f.candidates.entries()) await recordGradeChange(f.change(c, i + 1));
    const ops: string[] = [];
    const ours = new Set(['grade_outbox', 'grade_deliveries', 'grade_due', 'grade_outbox_claims']);
    mongoose.set('debug', (collection: string, method: string, filter: unknown) => {
      if (!ours.has(collection) || method === 'createIndex' || method === 'insertOne') return;
      if (method === 'insertMany') {
        ops.push(`${collection}.insertMany(${Array.isArray(filter) ? filter.length : '?'} documents)`);
        return;
      }
      if (method === 'bulkWrite') {
        // Each update of the command, by its filter's keys.
        const updates = (Array.isArray(filter) ? filter : []) as { updateOne?: { filter: object } }[];
        const keys = [...new Set(updates.map((u) => (u.updateOne ? Object.keys(u.updateOne.filter).sort().join(',') : 'not an updateOne')))];
        ops.push(`${collection}.bulkWrite(${updates.length} updates)(${keys.join(' ')})`);
        return;
      }
      ops.push(`${collection}.${method}(${filter && typeof filter === 'object' ? Object.keys(filter).sort().join(',') : ''})`);
    });
    let round;
    try {
      round = await runGradeSenderOnce();
    } finally {
      mongoose.set('debug', false);
    }
    expect(round.sent).to.be.at.least(5);
    // The ticket purge runs at most every 5 minutes, not per send.
    const notById = ops.filter((op) => !op.endsWith('(_id)') && op !== 'grade_outbox_claims.deleteMany(createdAt)' && !op.includes('.insertMany('));
    expect(notById.length, notById.join(' ')).to.be.at.most(2);
    for (const op of notById) expect(op).to.equal('grade_due.find(dueAt)');
    // Claim tickets: one insert for the batch's group, not one per grade; the sent grades' queue
    // entries: one delete for the batch (it reads the queue only), not one per grade.
    // (Other tests' grades may be due in the same database: counts are bounded, not exact.)
    const attempted = round.sent + round.failed + round.retrying;
    const ticketInserts = ops.filter((op) => op.startsWith('grade_outbox_claims.insert'));
    expect(ticketInserts.length, ops.join(' ')).to.be.within(1, Math.ceil(attempted / 16));
    expect(ticketInserts.every((op) => op.startsWith('grade_outbox_claims.insertMany(')), ops.join(' ')).to.equal(true);
    const dueDeletes = ops.filter((op) => op.startsWith('grade_due.delete'));
    expect(dueDeletes.length, ops.join(' ')).to.be.within(1, Math.ceil(attempted / 100));
    // The outbox and delivery documents are read a group at a time (`_id: {$in}`), and once more
    // (the outbox) per batch after the sends; the leases, then the sent outcomes, are written a
    // group at a time (a command each), not one per grade.
    const groups = Math.ceil(attempted / 16);
    const reads = (collection: string) => ops.filter((op) => op.startsWith(`${collection}.find`)).length;
    expect(reads('grade_outbox'), ops.join(' ')).to.be.within(1, groups + Math.ceil(attempted / 100));
    expect(reads('grade_deliveries'), ops.join(' ')).to.be.within(1, groups);
    const deliveryWrites = ops.filter((op) => op.startsWith('grade_deliveries.'));
    expect(deliveryWrites.every((op) => op.startsWith('grade_deliveries.bulkWrite(') || op.startsWith('grade_deliveries.find')), ops.join(' ')).to.equal(true);
    expect(deliveryWrites.filter((op) => op.startsWith('grade_deliveries.bulkWrite(')).length, ops.join(' ')).to.be.within(2, 2 * groups);
    expect(dueDeletes.every((op) => op === 'grade_due.deleteMany(_id)'), ops.join(' ')).to.equal(true);
    expect(ops.filter((op) => op.startsWith('grade_outbox.')).every((op) => op === 'grade_outbox.findOne(_id)' || op === 'grade_outbox.find(_id)'), 'the sender never writes the outbox document').to.equal(true);
  });

  it('a change recorded after the platform took the score, before the send is recorded as done, is sent afterwards', async () => {
    const f = await buildFixture();
    const [candidate] = f.candidates;
    await recordGradeChange(f.change(candidate, 7));
    const [due] = (await findDueGrades(new Date(), 500)).filter((d) => d.userSub === candidate.sub);
    const claim = await claimGrade(due, 'process-a', new Date());
    expect(claim).to.not.equal(null).and.not.equal('contended');
    // The score is in the LMS; the change lands in the window before completeSent.
    await recordGradeChange(f.change(candidate, 19, { comment: 'Late revision' }));
    expect(await completeSent(claim as Exclude<typeof claim, null | 'contended'>, new Date(), new Date())).to.equal('superseded');
    expect(await outboxOf(f, candidate)).to.include({ state: 'pending', version: 2, sentVersion: 1 });
    await runGradeSenderOnce();
    expect(await getSandboxGrade(f.placed.lineItemId!, candidate.sub)).to.include({ scoreGiven: 19, comment: 'Late revision' });
    expect(await outboxOf(f, candidate)).to.include({ state: 'sent', sentVersion: 2 });
  });

  it('two senders on one database, with changes recorded while they send, send each version once and end on the latest', async () => {
    const f = await buildFixture(8);
    for (const [i, c] of f.candidates.entries()) await recordGradeChange(f.change(c, i + 1));
    let isRecording = true;
    const mine = new Set(f.candidates.map((c) => c.sub));
    const isOwnDue = async () => (await findDueGrades(new Date(), 500)).some((d) => d.activityId === f.activityId && mine.has(d.userSub));
    const deadline = Date.now() + 15_000;
    const senders = ['process-a', 'process-b'].map(async (owner) => {
      while ((isRecording || (await isOwnDue())) && Date.now() < deadline) await runGradeSenderOnce({ owner, concurrency: 3 });
    });
    // Second and third changes for every candidate while both senders run.
    for (const round of [1, 2]) {
      await new Promise((resolve) => setTimeout(resolve, 30));
      await Promise.all(f.candidates.map((c, i) => recordGradeChange(f.change(c, i + 1 + round * 10))));
    }
    isRecording = false;
    await Promise.all(senders);
    for (const [i, c] of f.candidates.entries()) {
      const sent = (await getSandboxScores(f.placed.lineItemId!, c.sub)).map((s) => s.scoreGiven);
      expect(new Set(sent).size, `${c.name}: no version sent twice (${sent.join(', ')})`).to.equal(sent.length);
      expect(sent[0], `${c.name}: the latest change is the last sent`).to.equal(i + 21);
      expect(await outboxOf(f, c)).to.include({ state: 'sent', version: 3, sentVersion: 3, sentScoreGiven: i + 21 });
    }
  });

  it('a batch takes its claim tickets in one insert: a ticket another sender holds fails alone, the rest are won', async () => {
    const f = await buildFixture(3);
    for (const [i, c] of f.candidates.entries()) await recordGradeChange(f.change(c, i + 1));
    const mine = new Set(f.candidates.map((c) => c.sub));
    const dues = (await findDueGrades(new Date(), 500)).filter((d) => d.activityId === f.activityId && mine.has(d.userSub));
    expect(dues).to.have.length(3);
    const candidates = (await Promise.all(dues.map((d) => readClaim(d, new Date())))) as ClaimCandidate[];
    expect(candidates.every((c) => c && typeof c === 'object'), 'each is to be claimed').to.equal(true);
    // Another sender took the middle one's ticket meanwhile.
    await GradeClaimTicketModel.create({ _id: `${String(candidates[1].due._id)}:${candidates[1].claimCount}`, owner: 'process-b', createdAt: new Date() });
    const won = await takeTickets(candidates, 'process-a');
    expect(won.map((c) => c.due.userSub)).to.deep.equal([candidates[0].due.userSub, candidates[2].due.userSub]);
    const tickets = await Promise.all(candidates.map((c) => GradeClaimTicketModel.findOne({ _id: `${String(c.due._id)}:${c.claimCount}` }).lean()));
    expect(tickets.map((t) => t?.owner)).to.deep.equal(['process-a', 'process-b', 'process-a']);
    // Taking them again: all held.
    expect(await takeTickets(candidates, 'process-c')).to.deep.equal([]);
  });

  it('a claim left by a stopped sender is taken over: after its lease, or (stopped before the lease) once its ticket is freed', async () => {
    const f = await buildFixture(2);
    const [leased, ticketed] = f.candidates;
    await recordGradeChange(f.change(leased, 5));
    await recordGradeChange(f.change(ticketed, 6));
    const [due] = (await findDueGrades(new Date(), 500)).filter((d) => d.userSub === leased.sub);
    expect(await claimGrade(due, 'stopped-sender', new Date())).to.have.property('userSub', leased.sub);
    // The other stopped between its ticket and its lease.
    await GradeClaimTicketModel.create({ _id: `${gradeSyncId(f.activityId, ticketed.sub)}:0`, owner: 'stopped-too', createdAt: new Date(Date.now() - 3 * 60_000) });

    expect(await runGradeSenderOnce({ owner: 'survivor' })).to.include({ sent: 0 });
    expect(await getSandboxScores(f.placed.lineItemId!, leased.sub)).to.have.length(0);
    expect(await requeueStuckGrades(new Date(Date.now() + 61_000))).to.be.at.least(1);
    await runGradeSenderOnce({ owner: 'survivor', now: later(CLAIM_LEASE_MS + 1_000) });
    for (const [person, score] of [[leased, 5], [ticketed, 6]] as const) {
      expect(await getSandboxScores(f.placed.lineItemId!, person.sub), person.name).to.have.length(1);
      expect(await getSandboxGrade(f.placed.lineItemId!, person.sub)).to.include({ scoreGiven: score });
    }
  });

  it('a change recorded without its queue entry (the recorder stopped between its two writes) is queued by the scheduler job', async () => {
    const f = await buildFixture();
    const [candidate] = f.candidates;
    await recordGradeChange(f.change(candidate, 3));
    await GradeDueModel.deleteOne({ _id: gradeSyncId(f.activityId, candidate.sub) });
    await runGradeSenderOnce();
    expect(await getSandboxScores(f.placed.lineItemId!, candidate.sub)).to.have.length(0);
    const jobAt = later(2 * 60_000);
    expect(await requeueStuckGrades(jobAt)).to.be.at.least(1);
    await runGradeSenderOnce({ now: jobAt });
    expect(await getSandboxGrade(f.placed.lineItemId!, candidate.sub)).to.include({ scoreGiven: 3 });
  });

  it('outbox documents of the earlier shape are upgraded at start: sending state moves out, waiting grades are queued, sent ones stay sent', async () => {
    const f = await buildFixture(2);
    const [waiting, done] = f.candidates;
    const now = new Date();
    const legacy = (person: SandboxPersonView, fields: Record<string, unknown>) => {
      const { userName, comment, ...change } = f.change(person, 8);
      return { _id: gradeSyncId(f.activityId, person.sub), ...change, userName: userName ?? '', comment: comment ?? null, version: 2, changedAt: now, attempts: 0, claimCount: 3, ...fields };
    };
    await GradeOutboxModel.collection.insertMany([
      legacy(waiting, { state: 'retrying', attempts: 2, reason: 'The LMS answered 503', nextAttemptAt: new Date(now.getTime() - 1_000), sentVersion: 1, sentScoreGiven: 4, sentTimestamp: new Date(now.getTime() - 60_000) }),
      legacy(done, { state: 'sent', sentVersion: 2, sentScoreGiven: 8, sentTimestamp: now, sentAt: now }),
    ] as never[]);
    expect(await upgradeGradeOutbox()).to.be.at.least(2);
    const raw = await GradeOutboxModel.collection.findOne({ _id: gradeSyncId(f.activityId, waiting.sub) } as never);
    expect(raw).to.not.have.property('state');
    expect(await GradeDeliveryModel.findOne({ _id: gradeSyncId(f.activityId, waiting.sub) }).lean()).to.include({ state: 'retrying', attempts: 2, claimCount: 3, sentVersion: 1 });
    expect(await outboxOf(f, done)).to.include({ state: 'sent', sentVersion: 2 });
    expect(await upgradeGradeOutbox(), 'idempotent').to.equal(0);
    await runGradeSenderOnce();
    expect(await getSandboxGrade(f.placed.lineItemId!, waiting.sub)).to.include({ scoreGiven: 8 });
    expect(await outboxOf(f, waiting)).to.include({ state: 'sent', sentVersion: 2, attempts: 0 });
    expect(await getSandboxScores(f.placed.lineItemId!, done.sub), 'a sent grade is not sent again').to.have.length(0);
  });
});

describe('faculty grade sync table and POST /lti/grades/retry', () => {
  it('shows refused and waiting grades with a Retry button; faculty retry sends the grade once the LMS takes it', async () => {
    const f = await buildFixture();
    const [candidate] = f.candidates;
    await recordGradeChange(f.change(f.faculty, 5));
    await runGradeSenderOnce();
    await setSandboxAgsMode('down', { courseId: f.courseId });
    try {
      await recordGradeChange(f.change(candidate, 14));
      await runGradeSenderOnce();
    } finally {
      await setSandboxAgsMode('up', { courseId: f.courseId });
    }
    const page = await launchAs(testServer().baseUrl, { personId: f.faculty.id, placementId: f.placed.id });
    const html = decodeHtml(page.text);
    expect(html).to.include('data-testid="grade-sync"');
    expect(html).to.match(new RegExp(`data-user="${candidate.sub}" data-state="retrying"`));
    expect(html).to.match(new RegExp(`data-user="${f.faculty.sub}" data-state="failed"`));
    expect(html).to.include('The LMS answered 422: User not found in course or is not a student');
    // A <time> the viewer's browser shows in their zone; the page never says UTC.
    expect(html).to.match(/Next attempt <time class="fb-time" datetime="\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z" data-local>\d{4}-\d\d-\d\d<\/time> \(after 1 attempt\)/);
    expect(html).to.not.include('UTC');
    expect(html).to.include('action="/lti/grades/retry"');

    const retried = await page.agent.post('/lti/grades/retry').type('form').send({ ltik: page.ltik, userSub: candidate.sub });
    expect(retried.status, retried.text).to.equal(200);
    expect(retried.text).to.include('data-testid="score-sent"');
    expect(await outboxOf(f, candidate)).to.include({ state: 'sent', sentScoreGiven: 14 });
    expect(await getSandboxGrade(f.placed.lineItemId!, candidate.sub)).to.include({ scoreGiven: 14 });

    const refusedAgain = await page.agent.post('/lti/grades/retry').type('form').send({ ltik: page.ltik, userSub: f.faculty.sub });
    expect(refusedAgain.status).to.equal(502);
    expect(decodeHtml(refusedAgain.text)).to.include('Refused by the LMS');
  });

  it('a faculty retry while the LMS is still down keeps the grade waiting (202, "it will try again in …")', async () => {
    const f = await buildFixture();
    const [candidate] = f.candidates;
    await setSandboxAgsMode('down', { courseId: f.courseId });
    let res;
    try {
      await recordGradeChange(f.change(candidate, 16));
      await runGradeSenderOnce();
      res = await f.facultyLaunch.agent.post('/lti/grades/retry').type('form').send({ ltik: f.facultyLaunch.ltik, userSub: candidate.sub });
    } finally {
      await setSandboxAgsMode('up', { courseId: f.courseId });
    }
    expect(res.status, res.text).to.equal(202);
    expect(res.text).to.include('data-testid="score-queued"');
    expect(decodeHtml(res.text)).to.match(/the LMS could not take it yet \(The LMS answered 503[^)]*\)\. It will try again in (about \d+ minutes?|less than a minute)\./);
    expect(decodeHtml(res.text)).to.not.include('UTC');
    const doc = await outboxOf(f, candidate);
    expect(doc).to.include({ state: 'retrying', scoreGiven: 16, attempts: 1 });
    await runGradeSenderOnce({ now: new Date(doc!.nextAttemptAt!.getTime() + 1_000) });
    expect(await getSandboxGrade(f.placed.lineItemId!, candidate.sub)).to.include({ scoreGiven: 16 });
  });

  it('refuses the retry without a session (401), to a candidate (403), without a person (400) and for an unknown person (404)', async () => {
    const f = await buildFixture();
    const [candidate] = f.candidates;
    await recordGradeChange(f.change(f.faculty, 5));
    await runGradeSenderOnce();
    const refusals = async () => (await getSandboxRejectedScores(f.courseId)).length;
    const before = await refusals();

    const anonymous = await request(testServer().baseUrl).post('/lti/grades/retry').type('form').send({ userSub: f.faculty.sub });
    expect(anonymous.status).to.equal(401);
    const asCandidate = await launchAs(testServer().baseUrl, { personId: candidate.id, placementId: f.placed.id });
    const forbidden = await asCandidate.agent.post('/lti/grades/retry').type('form').send({ ltik: asCandidate.ltik, userSub: f.faculty.sub });
    expect(forbidden.status).to.equal(403);
    const missing = await f.facultyLaunch.agent.post('/lti/grades/retry').type('form').send({ ltik: f.facultyLaunch.ltik });
    expect(missing.status).to.equal(400);
    const unknown = await f.facultyLaunch.agent.post('/lti/grades/retry').type('form').send({ ltik: f.facultyLaunch.ltik, userSub: 'nobody-here' });
    expect(unknown.status).to.equal(404);

    expect(await outboxOf(f, f.faculty)).to.include({ state: 'failed', attempts: 1 });
    expect(await refusals(), 'no denied request reached the LMS').to.equal(before);
  });
});
