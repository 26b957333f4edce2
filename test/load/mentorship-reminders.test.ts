import { expect } from 'chai';
import { ActivityModel } from '../../src/activities/activity.model';
import { JobRunModel, jobRunId } from '../../src/jobs/scheduler';
import { mentorshipKind } from '../../src/mentorship/mentorship.kind';
import { MENTORSHIP_REMINDERS_JOB, ReminderModel } from '../../src/mentorship/reminders';
import { createLogger } from '../../src/platform/logger';
import { findSandboxMailTo } from '../../src/sandbox';
import { testServer } from '../helpers/test-server';
import { buildMentorshipCourse, day, formTokenOf, recordHeld, type MentorshipCourse } from '../mentorship/mentorship-kit';
import { open, post } from '../practicum/practicum-kit';
import { startInstance, stopInstance, type Instance } from './load-kit';

const TICK_MS = 300;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const subjects = async (email: string) => (await findSandboxMailTo(email)).map((m) => m.subject);

/** The reminders job as the app schedules it: its slot length comes from the kind, not from here. */
function remindersEveryMs(): number {
  const { config, fieldbook } = testServer();
  const deps = { config, logger: createLogger({ ...config, logLevel: 'silent' }), mailer: fieldbook.mailer };
  return mentorshipKind.jobs!(deps).find((j) => j.name === MENTORSHIP_REMINDERS_JOB)!.everyMs;
}

/**
 * Two `npm start` processes on one database, both running the scheduler every 300 ms: they race
 * for the hourly reminders slot, and every check-in reminder and mentor digest reaches the Sandbox
 * outbox exactly once, recorded once as sent.
 */
describe('two instances on one database: mentorship reminders and digests, each sent once', function () {
  this.timeout(120_000);
  let a: Instance;
  let b: Instance;
  let overdueCourse: MentorshipCourse;
  let dueSoonCourse: MentorshipCourse;
  let everyMs: number;
  let firstSlot: Date;
  let firstDay: string;
  let dueDays: { overdue: string; dueSoon: string };
  const mentorEmail = `digest-load-${Math.random().toString(36).slice(2, 8)}@district.example`;
  const slotAt = (t: number) => new Date(Math.floor(t / everyMs) * everyMs);
  const runsSinceStart = () => JobRunModel.find({ job: MENTORSHIP_REMINDERS_JOB, slot: { $gte: firstSlot } }).sort({ slot: 1 }).lean();

  before(async function () {
    this.timeout(120_000);
    everyMs = remindersEveryMs();
    // Due dates at −20, +20 and +60 days: A has held none (overdue); B held one (next due in 20 days).
    overdueCourse = await buildMentorshipCourse();
    dueDays = { overdue: day(-20), dueSoon: day(2) };
    // One check-in due in two days: both candidates are due soon.
    dueSoonCourse = await buildMentorshipCourse({ ci_termStart: day(-10), ci_termEnd: day(2), ci_perTerm: '1' });
    // A launch makes each candidate a course member the job reminds.
    const [, held] = await Promise.all([overdueCourse, overdueCourse, dueSoonCourse, dueSoonCourse].map((c, i) => open(i % 2 ? c.candidateB : c.candidateA, c.placement)));
    expect((await recordHeld(held, { formToken: formTokenOf(held.text) })).status).to.equal(200);
    // B's emailed mentor has B's check-in waiting for their sign-off.
    expect((await post(held, '/lti/mentorship/mentor', { mentorName: 'Dana Digest', mentorEmail })).status).to.equal(200);

    firstSlot = slotAt(Date.now());
    firstDay = firstSlot.toISOString().slice(0, 10);
    // An earlier test's instances (ticking every 15 s) may have run this hour's slot before these
    // courses existed; the race under test is for a slot no instance has claimed yet.
    await JobRunModel.deleteMany({ job: MENTORSHIP_REMINDERS_JOB, slot: { $gte: firstSlot } });
    [a, b] = await Promise.all([startInstance({ env: { JOBS_TICK_MS: String(TICK_MS) } }), startInstance({ env: { JOBS_TICK_MS: String(TICK_MS) } })]);
  });

  after(async function () {
    this.timeout(60_000);
    const codes = await Promise.all([a, b].filter(Boolean).map(stopInstance));
    for (const i of [a, b]) i?.proc.cleanUp();
    // This hour's slot is this test's data: a later test claiming the slot in-process must find it free.
    if (firstSlot) await JobRunModel.deleteMany({ job: MENTORSHIP_REMINDERS_JOB, slot: { $gte: firstSlot } });
    expect(codes, 'both instances stop cleanly').to.deep.equal([0, 0]);
  });

  it('the hourly slot runs once; each candidate reminder and the digest reach the outbox once, recorded as sent', async () => {
    const overdue = overdueCourse.candidateA;
    const dueSoon = [dueSoonCourse.candidateA, dueSoonCourse.candidateB];
    const isDone = (r: { _id: string; outcome: string }) => r.outcome === 'done' && !r._id.endsWith('#retake');
    const counts = async () => ({
      overdue: (await findSandboxMailTo(overdue.email!)).length,
      dueSoon: await Promise.all(dueSoon.map(async (c) => (await findSandboxMailTo(c.email!)).length)),
      digests: (await subjects(mentorEmail)).filter((s) => s.includes('awaiting your sign-off')).length,
      runs: await runsSinceStart(),
    });
    const isThere = (c: Awaited<ReturnType<typeof counts>>) => c.runs.some(isDone) && c.overdue > 0 && c.dueSoon.every((n) => n > 0) && c.digests > 0;
    const deadline = Date.now() + 45_000;
    let seen = await counts();
    while (!isThere(seen) && Date.now() < deadline) {
      await sleep(250);
      seen = await counts();
    }
    expect(isThere(seen), `a done run and every mail within 45 s: ${JSON.stringify({ ...seen, runs: seen.runs.map((r) => [r._id, r.outcome]) })}`).to.equal(true);
    // A second send or a second claim of the slot would show within a few more ticks of both instances.
    await sleep(TICK_MS * 5);
    for (let i = 0; i < 40 && (await runsSinceStart()).some((r) => r.outcome === 'running'); i += 1) await sleep(250);

    const now = Date.now();
    const hourChanged = slotAt(now).getTime() !== firstSlot.getTime();
    const dayChanged = new Date(now).toISOString().slice(0, 10) !== firstDay;
    const title = (await ActivityModel.findById(overdueCourse.activityId).lean())!.title;
    expect(await subjects(overdue.email!), 'overdue: one reminder').to.deep.equal([`A mentor check-in is overdue — ${title}`]);
    expect(await subjects(overdueCourse.candidateB.email!), 'next check-in due in 20 days: none').to.deep.equal([]);
    for (const c of dueSoon) {
      const got = await subjects(c.email!);
      expect(got, `${c.name}: one due-soon reminder`).to.have.length(1);
      expect(got[0]).to.match(/^A mentor check-in is due by /);
    }
    const digests = (await subjects(mentorEmail)).filter((s) => s.includes('awaiting your sign-off'));
    // One digest a day: a second only if the test ran across midnight (UTC).
    expect(digests.length, `digests (day changed: ${dayChanged})`).to.be.within(1, dayChanged ? 2 : 1);
    expect(digests[0]).to.equal('1 check-in awaiting your sign-off in Fieldbook');

    const runs = await runsSinceStart();
    expect(runs.filter((r) => r._id.endsWith('#retake')).map((r) => r._id), 'no slot taken over').to.deep.equal([]);
    expect(runs.map((r) => r.outcome), 'every run finished').to.satisfy((o: string[]) => o.every((x) => x === 'done'));
    expect(runs.map((r) => r._id), 'one run per slot').to.deep.equal(runs.map((r) => jobRunId(MENTORSHIP_REMINDERS_JOB, r.slot)));
    expect(runs.length, `runs since ${firstSlot.toISOString()} (hour changed: ${hourChanged})`).to.be.within(1, hourChanged ? 2 : 1);
    const sent = runs.reduce((n, r) => n + Number((r.result as { sent?: number } | null)?.sent ?? 0), 0);
    expect(sent, 'the runs counted these four sends').to.be.at.least(4);

    const candidateKeys = [
      { kind: 'overdue', course: overdueCourse, person: overdue, due: dueDays.overdue },
      ...dueSoon.map((person) => ({ kind: 'due-soon', course: dueSoonCourse, person, due: dueDays.dueSoon })),
    ];
    for (const { kind, course, person, due } of candidateKeys) {
      const records = await ReminderModel.find({ activityId: course.activityId, candidateSub: person.sub }).lean();
      expect(records.map((r) => ({ _id: r._id, state: r.state, attempts: r.attempts, to: r.to })), `${kind} for ${person.name}`).to.deep.equal([
        { _id: `${kind}:${JSON.stringify([course.activityId, person.sub, due])}`, state: 'sent', attempts: 1, to: person.email },
      ]);
    }
    const iss = (await ActivityModel.findById(overdueCourse.activityId).lean())!.iss;
    const digestRecords = await ReminderModel.find({ kind: 'digest', to: mentorEmail }).sort({ claimedAt: 1 }).lean();
    expect(digestRecords.length).to.equal(digests.length);
    const runDay = runs[0].startedAt.toISOString().slice(0, 10);
    expect(digestRecords[0]).to.include({ _id: `digest:${JSON.stringify([iss, mentorEmail, runDay])}`, state: 'sent', attempts: 1 });
  });
});
