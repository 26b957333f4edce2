import { expect } from 'chai';
import { GradeRepairModel } from '../../src/grading/grade-repair';
import { GradeOutboxModel, gradeSyncId } from '../../src/grading/outbox.model';
import { readGradeSyncRecord } from '../../src/grading/outbox.service';
import { JobRunModel, jobRunId, runJobSlot, type Job } from '../../src/jobs/scheduler';
import { PracticumEntryModel } from '../../src/practicum/practicum-entry.model';
import { PracticumProgressModel } from '../../src/practicum/practicum-progress.model';
import { reconcilePracticumGrades } from '../../src/practicum/practicum-settle';
import { progressId, reconcileProgress } from '../../src/practicum/progress-store';
import { buildPracticumCourse, COMPLETE_ENTRY, open, post } from '../practicum/practicum-kit';

function countingJob(name: string, everyMs = 60_000): Job & { runs: number } {
  const job = {
    name,
    everyMs,
    runs: 0,
    async run() {
      job.runs += 1;
      await new Promise((resolve) => setTimeout(resolve, 20));
      return { ran: 1 };
    },
  };
  return job;
}

describe('shared scheduler: each job run claimed once in the database', () => {
  it('two instances racing for the same slot: one runs it, the other skips; the run is recorded', async () => {
    const job = countingJob(`race-${Math.random()}`);
    const now = new Date();
    const outcomes = await Promise.all([runJobSlot(job, { now, owner: 'instance-a' }), runJobSlot(job, { now, owner: 'instance-b' })]);
    expect(outcomes.sort()).to.deep.equal(['ran', 'skipped']);
    expect(job.runs).to.equal(1);
    const slot = new Date(Math.floor(now.getTime() / job.everyMs) * job.everyMs);
    expect(await JobRunModel.findOne({ _id: jobRunId(job.name, slot) }).lean()).to.include({ outcome: 'done' });
    // The next slot runs again.
    expect(await runJobSlot(job, { now: new Date(now.getTime() + job.everyMs), owner: 'instance-b' })).to.equal('ran');
    expect(job.runs).to.equal(2);
  });

  it('a run left unfinished by a stopped instance is taken over once after its lease, never lost', async () => {
    const job = countingJob(`stale-${Math.random()}`);
    const now = new Date();
    const slot = new Date(Math.floor(now.getTime() / job.everyMs) * job.everyMs);
    await JobRunModel.create({ _id: jobRunId(job.name, slot), job: job.name, slot, owner: 'died', startedAt: new Date(now.getTime() - 10 * job.everyMs) });
    const outcomes = await Promise.all([runJobSlot(job, { now, owner: 'a' }), runJobSlot(job, { now, owner: 'b' })]);
    expect(outcomes.sort()).to.deep.equal(['ran', 'skipped']);
    expect(job.runs).to.equal(1);
    expect(await JobRunModel.findOne({ _id: jobRunId(job.name, slot) }).lean()).to.include({ outcome: 'failed' });
  });

  it('a retake whose instance stopped too is taken over in its turn, for the same slot', async () => {
    const job = countingJob(`stale-twice-${Math.random()}`);
    const now = new Date();
    const slot = new Date(Math.floor(now.getTime() / job.everyMs) * job.everyMs);
    const long = new Date(now.getTime() - 10 * job.everyMs);
    const first = jobRunId(job.name, slot);
    await JobRunModel.create({ _id: first, job: job.name, slot, owner: 'died', startedAt: long, outcome: 'failed', error: 'instance stopped before finishing; run again' });
    await JobRunModel.create({ _id: `${first}#retake`, job: job.name, slot, owner: 'died-too', startedAt: long });
    expect(await runJobSlot(job, { now, owner: 'c' })).to.equal('ran');
    expect(job.runs).to.equal(1);
    const again = await JobRunModel.findOne({ _id: `${first}#retake#retake` }).lean();
    expect(again).to.include({ outcome: 'done', owner: 'c' });
    expect(again?.slot.getTime()).to.equal(slot.getTime());
    expect(await runJobSlot(job, { now, owner: 'd' }), 'done once: nothing more').to.equal('skipped');
  });

  it('a failing job is recorded as failed with its reason', async () => {
    const job: Job = { name: `fails-${Math.random()}`, everyMs: 60_000, run: async () => Promise.reject(new Error('the LMS is down')) };
    expect(await runJobSlot(job)).to.equal('failed');
    expect((await JobRunModel.findOne({ job: job.name }).lean())?.error).to.equal('the LMS is down');
  });
});

describe('reconciliation: derived records that disagree with their sources are repaired', () => {
  it('rebuilds a progress document that disagrees with the entries, and queues a completion grade the outbox lost', async () => {
    const course = await buildPracticumCourse('Reconciled', { rulePackId: 'custom', requiredHours: '2' });
    const a = await open(course.candidateA, course.placement);
    const faculty = await open(course.faculty, course.placement);
    expect((await post(a, '/lti/practicum/entries', { ...COMPLETE_ENTRY, intent: 'submit' })).status).to.equal(200);
    const entry = (await PracticumEntryModel.findOne({ activityId: course.activityId, candidateSub: course.candidateA.sub }).lean())!;
    expect((await post(faculty, '/lti/practicum/entries/approve', { entries: [`${String(entry._id)}:${entry.version}`] })).status).to.equal(200);
    const _id = progressId(course.activityId, course.candidateA.sub);
    const right = (await PracticumProgressModel.findOne({ _id }).lean())!;

    // A lost step: the progress document says nothing was approved.
    await PracticumProgressModel.replaceOne({ _id }, { ...right, minutes: { submitted: { total: 150 } }, entries: { submitted: 1 }, items: {} });
    await PracticumEntryModel.updateOne({ _id: entry._id }, { $set: { updatedAt: new Date(Date.now() - 5 * 60_000) } }, { timestamps: false });
    expect(await reconcileProgress(60_000)).to.be.at.least(1);
    const repaired = (await PracticumProgressModel.findOne({ _id }).lean())!;
    expect(repaired.minutes).to.deep.equal(right.minutes);
    expect(repaired.entries).to.deep.equal({ approved: 1 });

    // A lost outbox write: the grade the LMS should have is queued again.
    const outboxId = gradeSyncId(course.activityId, course.candidateA.sub);
    const sent = (await GradeOutboxModel.findOne({ _id: outboxId }).lean())!;
    expect(sent.scoreGiven).to.equal(50);
    await GradeOutboxModel.deleteOne({ _id: outboxId });
    expect(await reconcilePracticumGrades('2026-12-02')).to.be.at.least(1);
    expect(await readGradeSyncRecord(course.activityId, course.candidateA.sub)).to.include({ scoreGiven: 50, state: 'pending' });

    // Faculty see the repair beside the candidate's grade; the candidate's own page does not list grade sync.
    const facultyPage = (await open(course.faculty, course.placement)).text;
    const row = facultyPage.slice(facultyPage.indexOf(`data-user="${course.candidateA.sub}"`));
    expect(row.slice(0, row.indexOf('</tr>'))).to.match(/data-testid="grade-repair">Repaired <time class="fb-time" datetime="[\d:.TZ-]+" data-local>\d{4}-\d\d-\d\d<\/time>: This grade had not been queued for the gradebook/);
    expect((await open(course.candidateA, course.placement)).text).not.to.include('grade-repair');
    // Nothing left to repair for this candidate: the next run leaves the note as it was.
    await reconcilePracticumGrades('2026-12-02');
    expect(await GradeRepairModel.findOne({ _id: outboxId }).lean()).to.include({ count: 1, userSub: course.candidateA.sub });
  });
});
