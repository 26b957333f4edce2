import { expect } from 'chai';
import { GradeDueModel, GradeOutboxModel } from '../../src/grading/outbox.model';
import { readGradeSyncRecord } from '../../src/grading/outbox.service';
import { PracticumEntryModel, type PracticumEntry } from '../../src/practicum/practicum-entry.model';
import { reconcilePracticumGrades } from '../../src/practicum/practicum-settle';
import { getSandboxGrade } from '../../src/sandbox';
import { decodeHtml } from '../helpers/sandbox-launch';
import { buildPracticumCourse, COMPLETE_ENTRY, open, post, type PracticumCourse, type Session } from './practicum-kit';

/**
 * A practicum that one verified and approved 2.5 h entry completes (UCEA pack: a mentor verifies
 * first), so in completion mode that approval computes the full grade.
 */
const ONE_ENTRY_COMPLETES = { rulePackId: 'ucea', requiredHours: '2' };

const key = (e: Pick<PracticumEntry, '_id' | 'version'>) => `${String(e._id)}:${e.version}`;
const reload = async (id: unknown) => (await PracticumEntryModel.findById(id).lean())!;

/** Candidate A submits an entry, A's mentor verifies it, faculty approve it: the approval's answer. */
async function submitVerifyApprove(course: PracticumCourse, sessions: { candidate: Session; mentor: Session; faculty: Session }, date: string) {
  const submitted = await post(sessions.candidate, '/lti/practicum/entries', { ...COMPLETE_ENTRY, date, intent: 'submit' });
  expect(submitted.status, submitted.text).to.equal(200);
  const entry = (await PracticumEntryModel.findOne({ activityId: course.activityId, candidateSub: course.candidateA.sub, date }).lean())!;
  expect(entry.status).to.equal('submitted');
  const verified = await post(sessions.mentor, '/lti/practicum/entries/verify', { entries: [key(entry)] });
  expect(verified.status, verified.text).to.equal(200);
  expect((await reload(entry._id)).status).to.equal('verified');
  const approved = await post(sessions.faculty, '/lti/practicum/entries/approve', { entries: [key(await reload(entry._id))] });
  expect(approved.status, approved.text).to.equal(200);
  expect((await reload(entry._id)).status).to.equal('approved');
  return approved;
}

async function openAll(course: PracticumCourse) {
  const [candidate, mentor, faculty] = await Promise.all([open(course.candidateA, course.placement), open(course.mentorOfA, course.placement), open(course.faculty, course.placement)]);
  return { candidate, mentor, faculty };
}

describe('practicum grading mode: faculty score, end to end', () => {
  it('control — in completion mode the same submit → verify → approve queues the computed grade', async () => {
    const course = await buildPracticumCourse('Completion hours', ONE_ENTRY_COMPLETES);
    const approved = await submitVerifyApprove(course, await openAll(course), '2026-10-05');
    expect(decodeHtml(approved.text)).to.include('was queued for the gradebook');
    expect(await readGradeSyncRecord(course.activityId, course.candidateA.sub)).to.include({ scoreGiven: 50, scoreMaximum: 50 });
  });

  it('an approved entry queues no grade (nor does the grade check); faculty are offered “Send a grade”, which sends theirs and stays theirs', async () => {
    const course = await buildPracticumCourse('Faculty-scored hours', { ...ONE_ENTRY_COMPLETES, gradingMode: 'faculty-score' });
    const sessions = await openAll(course);
    const approved = await submitVerifyApprove(course, sessions, '2026-10-05');
    expect(decodeHtml(approved.text)).not.to.include('queued for the gradebook');

    const nothingQueued = async (why: string) => {
      expect(await readGradeSyncRecord(course.activityId, course.candidateA.sub), why).to.equal(null);
      expect(await GradeOutboxModel.countDocuments({ activityId: course.activityId }), why).to.equal(0);
      expect(await GradeDueModel.countDocuments({ activityId: course.activityId }), why).to.equal(0);
    };
    await nothingQueued('the approval computes no grade');
    await reconcilePracticumGrades('2026-12-01');
    await nothingQueued('the regular grade check has nothing to repair');
    expect(await getSandboxGrade(course.placement.lineItemId!, course.candidateA.sub)).to.equal(null);

    const facultyPage = await open(course.faculty, course.placement);
    expect(facultyPage.text).to.include('data-testid="manual-grading"');
    expect(decodeHtml(facultyPage.text)).to.include('Send a grade to the course gradebook').and.to.include(course.candidateA.name);
    expect(facultyPage.text).to.match(new RegExp(`<option value="${course.candidateA.sub}"`));
    const sent = await post(facultyPage, '/lti/scores', { userId: course.candidateA.sub, scoreGiven: '42', comment: 'Strong reflections' });
    expect(sent.status, sent.text).to.equal(200);
    expect(sent.text).to.include('data-testid="score-sent"');
    expect(await getSandboxGrade(course.placement.lineItemId!, course.candidateA.sub)).to.include({ scoreGiven: 42, scoreMaximum: 50, comment: 'Strong reflections' });
    expect(await readGradeSyncRecord(course.activityId, course.candidateA.sub)).to.include({ state: 'sent', version: 1, scoreGiven: 42 });

    // A later approval leaves faculty's grade as it is: nothing computed replaces it.
    await submitVerifyApprove(course, sessions, '2026-10-06');
    await reconcilePracticumGrades('2026-12-01');
    expect(await readGradeSyncRecord(course.activityId, course.candidateA.sub)).to.include({ state: 'sent', version: 1, scoreGiven: 42 });
    expect(await GradeDueModel.countDocuments({ activityId: course.activityId })).to.equal(0);
  });
});
