import { expect } from 'chai';
import { sendGradeNow } from '../../src/grading/grade-sender';
import { presentGradeSyncRow } from '../../src/grading/grade-sync.presenter';
import { getGradeSync } from '../../src/grading/outbox.service';
import { PracticumEntryModel } from '../../src/practicum/practicum-entry.model';
import { addSandboxPerson, createSandboxCourse, getSandboxGrade, getSandboxScores, setSandboxScoringMode, type ScoringMode } from '../../src/sandbox';
import { placeActivity } from '../helpers/activity-kit';
import { COMPLETE_ENTRY, open, post, type Session } from './practicum-kit';

/**
 * The completion grade in the LMS gradebook, end to end: entries approved and an approval taken
 * back through Fieldbook's routes, the grade sent by the outbox sender, the cell read from the
 * Sandbox gradebook following Canvas's or Moodle's scoring rules.
 */
type PartialCredit = 'show' | 'hide';

async function buildCourse(mode: ScoringMode, partialCredit: PartialCredit) {
  const suffix = Math.random().toString(36).slice(2, 8);
  const course = await createSandboxCourse({ title: `EDL 695 Completion ${suffix}`, label: `EDL695-${suffix}` });
  await setSandboxScoringMode(course.id, mode);
  const candidate = await addSandboxPerson(course.id, { name: `Cam Candidate ${suffix}`, roles: 'candidate' });
  const faculty = await addSandboxPerson(course.id, { name: `Dr. Flo ${suffix}`, roles: 'faculty' });
  // 5 required hours and nothing else (custom pack, no mentor step): one 2.5 h entry is half.
  const placement = await placeActivity({
    courseId: course.id,
    facultyId: faculty.id,
    title: `Hours ${suffix}`,
    points: 50,
    settings: { rulePackId: 'custom', requiredHours: '5', partialCredit },
  });
  const [candidateSession, facultySession] = await Promise.all([open(candidate, placement), open(faculty, placement)]);
  const activityId = placement.custom.activity_id;
  const lineItemId = placement.lineItemId!;
  return { candidate, candidateSession, facultySession, activityId, lineItemId };
}

type Course = Awaited<ReturnType<typeof buildCourse>>;

async function submitEntry(session: Session, course: Course, date: string) {
  const res = await post(session, '/lti/practicum/entries', { ...COMPLETE_ENTRY, date, intent: 'submit' });
  expect(res.status, res.text).to.equal(200);
  return (await PracticumEntryModel.findOne({ activityId: course.activityId, candidateSub: course.candidate.sub, date }).lean())!;
}

async function act(course: Course, action: 'approve' | 'return', entryId: unknown, options: { send?: boolean } = {}) {
  const entry = (await PracticumEntryModel.findById(entryId).lean())!;
  const body: Record<string, string | string[]> = { entries: [`${String(entry._id)}:${entry.version}`] };
  if (action === 'return') body.comment = 'These hours were logged twice.';
  const res = await post(course.facultySession, `/lti/practicum/entries/${action}`, body);
  expect(res.status, res.text).to.equal(200);
  // The background sender is not running in tests: send what was queued, as it would.
  if (options.send !== false) await sendGradeNow(course.activityId, course.candidate.sub);
}

/** The gradebook cell: its score, or null when it is empty or absent. */
const cell = async (course: Course) => (await getSandboxGrade(course.lineItemId, course.candidate.sub))?.scoreGiven ?? null;
const syncRow = async (course: Course) => presentGradeSyncRow((await getGradeSync(course.activityId, course.candidate.sub))!);

describe('practicum completion grade in the LMS gradebook (Sandbox scoring modes × partial credit)', () => {
  for (const mode of ['canvas', 'moodle'] as const) {
    it(`${mode}, partial credit shown: partial points appear, full points at completion, a taken-back approval lowers the grade`, async () => {
      const course = await buildCourse(mode, 'show');
      const first = await submitEntry(course.candidateSession, course, '2026-10-05');
      const second = await submitEntry(course.candidateSession, course, '2026-10-06');

      await act(course, 'approve', first._id);
      expect(await cell(course), 'half the hours: half the points, shown').to.equal(25);
      const [partial] = await getSandboxScores(course.lineItemId, course.candidate.sub);
      expect(partial).to.include({ scoreGiven: 25, scoreMaximum: 50, gradingProgress: 'FullyGraded', activityProgress: 'InProgress' });
      expect(await syncRow(course)).to.include({ stateLabel: 'Sent', value: '25 / 50' });

      await act(course, 'approve', second._id);
      expect(await cell(course), 'complete: full points').to.equal(50);

      await act(course, 'return', second._id);
      expect(await cell(course), 'the approval taken back: the grade goes down').to.equal(25);
      expect(await syncRow(course)).to.include({ stateLabel: 'Sent', value: '25 / 50', lastSent: '25 / 50' });
    });

    it(`${mode}, partial credit hidden: nothing is sent before completion, full points at completion, a taken-back approval clears the grade`, async () => {
      const course = await buildCourse(mode, 'hide');
      const first = await submitEntry(course.candidateSession, course, '2026-10-05');
      const second = await submitEntry(course.candidateSession, course, '2026-10-06');

      await act(course, 'approve', first._id);
      expect(await cell(course)).to.equal(null);
      expect(await getSandboxScores(course.lineItemId, course.candidate.sub), 'no score sent before completion').to.have.length(0);
      expect(await getGradeSync(course.activityId, course.candidate.sub), 'nothing queued').to.equal(null);

      await act(course, 'approve', second._id);
      expect(await cell(course), 'complete: full points').to.equal(50);

      await act(course, 'return', second._id, { send: false });
      expect(await syncRow(course)).to.include({ state: 'pending', stateLabel: 'Waiting to clear the LMS grade', value: 'Nothing shown', lastSent: '50 / 50' });
      await sendGradeNow(course.activityId, course.candidate.sub);
      expect(await cell(course), 'the approval taken back: the old full score is gone').to.equal(null);
      const [clear] = await getSandboxScores(course.lineItemId, course.candidate.sub);
      expect(clear).to.include({ scoreGiven: null, scoreMaximum: null, gradingProgress: 'FullyGraded', activityProgress: 'InProgress', gradebookEffect: 'clear' });
      expect(clear.comment).to.match(/once every requirement is met/);
      expect(await syncRow(course)).to.include({ state: 'sent', stateLabel: 'Cleared in the LMS', value: 'Nothing shown', lastSent: 'Cleared' });
    });
  }
});
