import { expect } from 'chai';
import { GradeOutboxModel } from '../../src/grading/outbox.model';
import { PracticumAuditModel } from '../../src/practicum/practicum-audit.model';
import { PracticumEntryModel } from '../../src/practicum/practicum-entry.model';
import { PracticumProgressModel } from '../../src/practicum/practicum-progress.model';
import { decodeHtml } from '../helpers/sandbox-launch';
import { buildPracticumCourse, COMPLETE_ENTRY, get, open, placeInOtherCourse, post, type PracticumCourse, type Session } from './practicum-kit';

const key = (e: { _id: unknown; version: number }) => `${String(e._id)}:${e.version}`;

async function submit(session: Session, course: PracticumCourse, sub: string, overrides: Record<string, string | string[]> = {}) {
  const res = await post(session, '/lti/practicum/entries', { ...COMPLETE_ENTRY, ...overrides, intent: 'submit' });
  expect(res.status, res.text).to.equal(200);
  return (await PracticumEntryModel.find({ activityId: course.activityId, candidateSub: sub }).sort({ createdAt: -1 }).limit(1).lean())[0];
}
const reload = async (id: unknown) => (await PracticumEntryModel.findById(id).lean())!;

describe('practicum log: mentor verification and faculty approval', () => {
  let course: PracticumCourse;
  let a: Session;
  let b: Session;
  let mentor: Session;
  let faculty: Session;
  before(async () => {
    course = await buildPracticumCourse('Reviewed hours');
    [a, b, mentor, faculty] = await Promise.all([open(course.candidateA, course.placement), open(course.candidateB, course.placement), open(course.mentorOfA, course.placement), open(course.faculty, course.placement)]);
  });

  it('the mentor sees only mentees’ submitted entries and verifies them in a batch', async () => {
    const e1 = await submit(a, course, course.candidateA.sub);
    const e2 = await submit(a, course, course.candidateA.sub, { date: '2026-10-08' });
    const ofB = await submit(b, course, course.candidateB.sub);
    const page = await get(mentor, '/lti/practicum');
    expect(page.text).to.match(/data-view="mentor"/);
    expect(page.text).to.include(String(e1._id));
    expect(page.text).not.to.include(String(ofB._id));
    const res = await post(mentor, '/lti/practicum/entries/verify', { entries: [key(e1), key(e2)], comment: 'Seen on site' });
    expect(res.status, res.text).to.equal(200);
    expect((await reload(e1._id)).status).to.equal('verified');
    expect((await reload(e2._id)).verifiedBy).to.equal(course.mentorOfA.sub);
    const audit = await PracticumAuditModel.findOne({ entryId: e1._id, to: 'verified' }).lean();
    expect(audit?.actor).to.include({ kind: 'lti', role: 'mentor', sub: course.mentorOfA.sub });
    expect(audit?.comment).to.equal('Seen on site');
  });

  it('a mentor cannot verify a non-mentee’s entry (403) nor reach the faculty actions (403)', async () => {
    const ofB = (await PracticumEntryModel.findOne({ activityId: course.activityId, candidateSub: course.candidateB.sub }).lean())!;
    const res = await post(mentor, '/lti/practicum/entries/verify', { entries: [key(ofB)] });
    expect(res.status).to.equal(403);
    expect((await reload(ofB._id)).status).to.equal('submitted');
    expect((await post(mentor, '/lti/practicum/entries/approve', { entries: [key(ofB)] })).status).to.equal(403);
    expect((await get(mentor, `/lti/practicum/entries/${String(ofB._id)}`)).status).to.equal(404);
  });

  it('faculty cannot approve an unverified entry when the pack requires a mentor (409); a stale version is refused (409)', async () => {
    const ofB = (await PracticumEntryModel.findOne({ activityId: course.activityId, candidateSub: course.candidateB.sub }).lean())!;
    expect((await post(faculty, '/lti/practicum/entries/approve', { entries: [key(ofB)] })).status).to.equal(409);
    const verified = (await PracticumEntryModel.findOne({ activityId: course.activityId, candidateSub: course.candidateA.sub, status: 'verified' }).lean())!;
    const stale = await post(faculty, '/lti/practicum/entries/approve', { entries: [`${String(verified._id)}:${verified.version - 1}`] });
    expect(stale.status).to.equal(409);
    expect((await reload(verified._id)).status).to.equal('verified');
  });

  it('faculty see the queue and cohort totals, approve in a batch; progress and the completion grade follow', async () => {
    const page = await get(faculty, '/lti/practicum');
    expect(page.text).to.match(/data-view="faculty"/);
    expect(page.text).to.include('data-testid="cohort"');
    expect(decodeHtml(page.text)).to.include(course.candidateA.name);
    const verified = await PracticumEntryModel.find({ activityId: course.activityId, candidateSub: course.candidateA.sub, status: 'verified' }).lean();
    const res = await post(faculty, '/lti/practicum/entries/approve', { entries: verified.map(key) });
    expect(res.status, res.text).to.equal(200);
    expect(res.text).to.include('2 entries approved.');
    const progress = await PracticumProgressModel.findOne({ activityId: course.activityId, candidateSub: course.candidateA.sub }).lean();
    const minutes = progress?.minutes as Record<string, { total: number }>;
    expect(minutes.approved.total).to.equal(300);
    expect(minutes.verified?.total ?? 0).to.equal(0);
    expect(progress?.grade?.scoreGiven).to.be.a('number').greaterThan(0).lessThan(50);
    const outbox = await GradeOutboxModel.findOne({ activityId: course.activityId, userSub: course.candidateA.sub }).lean();
    expect(outbox?.scoreGiven).to.equal(progress?.grade?.scoreGiven);
    const filtered = await get(faculty, `/lti/practicum?status=approved&candidate=${encodeURIComponent(course.candidateA.sub)}`);
    expect(filtered.text).to.include(String(verified[0]._id));
    expect((await get(faculty, '/lti/practicum?status=bogus')).status).to.equal(400);
  });

  it('return needs a comment (400); faculty return an approved entry; the candidate edits it back to draft', async () => {
    const approved = (await PracticumEntryModel.findOne({ activityId: course.activityId, candidateSub: course.candidateA.sub, status: 'approved' }).lean())!;
    expect((await post(faculty, '/lti/practicum/entries/return', { entries: [key(approved)], comment: ' ' })).status).to.equal(400);
    const res = await post(faculty, '/lti/practicum/entries/return', { entries: [key(approved)], comment: 'Add the standards you led.' });
    expect(res.status).to.equal(200);
    const returned = await reload(approved._id);
    expect(returned.status).to.equal('returned');
    expect(returned.returned?.comment).to.equal('Add the standards you led.');
    const candidatePage = await get(a, '/lti/practicum');
    expect(decodeHtml(candidatePage.text)).to.include('Returned: Add the standards you led.');
    const edit = await post(a, '/lti/practicum/entries', { ...COMPLETE_ENTRY, entryId: String(returned._id), version: String(returned.version), standards: ['4', '6.1', '7.2'], intent: 'draft' });
    expect(edit.status).to.equal(200);
    const edited = await reload(approved._id);
    expect(edited).to.include({ status: 'draft' });
    expect(edited.standards).to.include('7.2');
    const trail = await get(a, `/lti/practicum/entries/${String(approved._id)}`);
    expect(trail.status).to.equal(200);
    // Each step reads as a sentence, the role as the header names it, the comment on its own line.
    expect(decodeHtml(trail.text)).to.match(/Returned by [^<(]+ \(Faculty\)/);
    expect(decodeHtml(trail.text)).to.include('Add the standards you led.');
    const progress = await PracticumProgressModel.findOne({ activityId: course.activityId, candidateSub: course.candidateA.sub }).lean();
    expect((progress?.minutes as Record<string, { total: number }>).approved.total).to.equal(150);
  });

  it('faculty of another course whose placement names this activity (a course copy) cannot see or approve its entries', async () => {
    const other = await placeInOtherCourse(course.activityId);
    const outsider = await open(other.faculty, other.placement);
    // Not set up for their course yet: nothing of this course is reachable.
    expect((await get(outsider, '/lti/practicum')).status).to.equal(409);
    const verified = await PracticumEntryModel.findOne({ activityId: course.activityId }).lean();
    expect((await post(outsider, '/lti/practicum/entries/approve', { entries: [key(verified!)] })).status).to.equal(409);
    expect((await PracticumEntryModel.findById(verified!._id).lean())?.status).to.equal(verified!.status);
  });

  it('a course designer gets no candidate data (403)', async () => {
    const designer = await open(course.designer, course.placement);
    expect(designer.text).not.to.include('data-testid="review-queue"');
    expect((await get(designer, '/lti/practicum')).status).to.equal(403);
  });
});
