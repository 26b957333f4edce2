import { expect } from 'chai';
import { CourseMentorModel, courseMentorId } from '../../src/courses/course-mentor.model';
import { ActivityModel } from '../../src/activities/activity.model';
import { PracticumEntryModel } from '../../src/practicum/practicum-entry.model';
import { PracticumMentorModel } from '../../src/practicum/practicum-mentor.model';
import { upgradePracticumMentors } from '../../src/practicum/practicum-mentors.service';
import { runGradeSenderOnce } from '../../src/grading/grade-sender';
import { GradeOutboxModel, gradeSyncId } from '../../src/grading/outbox.model';
import { addSandboxPerson, findSandboxMailTo, getSandboxGrade, setSandboxAgsMode } from '../../src/sandbox';
import { sessionFromLocation } from '../access/access-kit';
import { placeActivity } from '../helpers/activity-kit';
import { decodeHtml } from '../helpers/sandbox-launch';
import { anonymous, buildPracticumCourse, COMPLETE_ENTRY, get, open, post, type PracticumCourse, type Session } from '../practicum/practicum-kit';

const key = (e: { _id: unknown; version: number }) => `${String(e._id)}:${e.version}`;

async function submitIn(session: Session, activityId: string, sub: string, date: string) {
  const res = await post(session, '/lti/practicum/entries', { ...COMPLETE_ENTRY, date, intent: 'submit' });
  expect(res.status, res.text).to.equal(200);
  return (await PracticumEntryModel.find({ activityId, candidateSub: sub, date }).lean())[0];
}

/** The newest invitation mailed to `email` → landing → redeem → session token. */
async function sessionFromMail(email: string): Promise<string> {
  const [mail] = await findSandboxMailTo(email);
  const path = new URL(/https?:\/\/\S+\/access\/[A-Za-z0-9._-]+/.exec(mail.text)![0]).pathname;
  expect((await anonymous().get(path)).status).to.equal(200);
  const res = await anonymous().post('/access/redeem').type('form').send({ token: path.split('/access/')[1] });
  expect(res.status).to.equal(303);
  return sessionFromLocation(res.headers.location as string);
}

describe('mentors per course: one assignment for every activity, one link for every candidate', () => {
  let course: PracticumCourse;
  let second: { id: string; activityId: string; placement: Awaited<ReturnType<typeof placeActivity>> };
  let a: Session;
  let b: Session;
  let faculty: Session;
  const id = Math.random().toString(36).slice(2, 8);
  const mentorEmail = `marta-${id}@district.example`;

  before(async () => {
    course = await buildPracticumCourse('Per-course mentors');
    const placement = await placeActivity({ courseId: course.id, facultyId: course.faculty.id, title: `Second log ${id}`, points: 10 });
    second = { id: course.id, activityId: placement.custom.activity_id, placement };
    [a, b, faculty] = await Promise.all([open(course.candidateA, course.placement), open(course.candidateB, course.placement), open(course.faculty, course.placement)]);
  });

  it('a mentor named in one activity is the mentor in every activity of the course', async () => {
    expect((await post(a, '/lti/practicum/mentor', { mentorName: `Marta ${id}`, mentorEmail })).status).to.equal(200);
    const inSecond = await open(course.candidateA, second.placement);
    expect(decodeHtml(inSecond.text)).to.include(`Marta ${id}`);
    const docs = await CourseMentorModel.find({ candidateSub: course.candidateA.sub }).lean();
    expect(docs).to.have.length(1);
    expect(docs[0]).to.include({ contextId: course.id });
  });

  it('one session from one link covers all the mentor’s candidates in every activity, and nobody else', async () => {
    expect((await post(b, '/lti/practicum/mentor', { mentorName: `Marta ${id}`, mentorEmail })).status).to.equal(200);
    const inSecondA = await open(course.candidateA, second.placement);
    const ofA1 = await submitIn(a, course.activityId, course.candidateA.sub, '2026-10-01');
    const ofA2 = await submitIn(inSecondA, second.activityId, course.candidateA.sub, '2026-10-02');
    const ofB = await submitIn(b, course.activityId, course.candidateB.sub, '2026-10-03');
    const s = await sessionFromMail(mentorEmail);
    const home = await anonymous().get(`/access/home?s=${encodeURIComponent(s)}`);
    expect(home.status).to.equal(200);
    for (const e of [ofA1, ofA2, ofB]) expect(home.text).to.include(String(e._id));
    expect(home.text.match(/data-testid="mentor-activity"/g)).to.have.length(2);
    expect(decodeHtml(home.text)).to.include('3 entries are waiting for your verification.');
    // One batch across both activities and both candidates.
    const res = await anonymous().post('/access/practicum/verify').type('form').send({ s, entries: [key(ofA1), key(ofA2), key(ofB)] });
    expect(res.status, res.text).to.equal(200);
    for (const e of [ofA1, ofA2, ofB]) expect((await PracticumEntryModel.findById(e._id).lean())?.status).to.equal('verified');

    // A candidate of the course who named someone else stays out of reach.
    const other = await addSandboxPerson(course.id, { name: `Other ${id}`, roles: 'candidate' });
    const o = await open(other, course.placement);
    const ofOther = await submitIn(o, course.activityId, other.sub, '2026-10-04');
    expect(await anonymous().get(`/access/home?s=${encodeURIComponent(s)}`).then((r) => r.text)).not.to.include(String(ofOther._id));
    const denied = await anonymous().post('/access/practicum/verify').type('form').send({ s, entries: [key(ofOther)] });
    expect(denied.status).to.equal(403);
    expect((await PracticumEntryModel.findById(ofOther._id).lean())?.status).to.equal('submitted');
  });

  it('a reassignment takes the candidate out of the other mentor’s session at once', async () => {
    const s = await (async () => {
      await post(a, '/lti/practicum/mentor', { intent: 'resend', candidate: course.candidateA.sub });
      return sessionFromMail(mentorEmail);
    })();
    const ofB = await submitIn(b, course.activityId, course.candidateB.sub, '2026-10-05');
    expect((await anonymous().get(`/access/home?s=${encodeURIComponent(s)}`)).text).to.include(String(ofB._id));
    const moved = await post(faculty, '/lti/practicum/mentor', { candidate: course.candidateB.sub, mentorName: 'New Person', mentorEmail: `new-${id}@district.example` });
    expect(moved.status, moved.text).to.equal(200);
    const home = await anonymous().get(`/access/home?s=${encodeURIComponent(s)}`);
    expect(home.status).to.equal(200);
    expect(home.text).not.to.include(String(ofB._id));
    expect((await anonymous().post('/access/practicum/verify').type('form').send({ s, entries: [key(ofB)] })).status).to.equal(403);
    expect((await PracticumEntryModel.findById(ofB._id).lean())?.status).to.equal('submitted');
  });

  it('mentors named per activity by an earlier version are carried over to their course, once', async () => {
    const legacyCourse = await buildPracticumCourse('Legacy mentors');
    await open(legacyCourse.faculty, legacyCourse.placement);
    const activity = (await ActivityModel.findById(legacyCourse.activityId).lean())!;
    await PracticumMentorModel.create({
      activityId: legacyCourse.activityId,
      iss: activity.iss,
      contextId: activity.contextId,
      candidateSub: legacyCourse.candidateA.sub,
      candidateName: legacyCourse.candidateA.name,
      mentor: { email: `old-${id}@school.example`, name: 'Olga Old' },
      linkJti: null,
      namedBy: { sub: legacyCourse.candidateA.sub, name: legacyCourse.candidateA.name, role: 'candidate' },
      namedAt: new Date(),
    });
    expect(await upgradePracticumMentors()).to.be.at.least(1);
    const carried = await CourseMentorModel.findOne({ _id: courseMentorId(activity.iss, activity.clientId, activity.contextId, legacyCourse.candidateA.sub) }).lean();
    expect(carried?.mentor).to.deep.equal({ email: `old-${id}@school.example`, name: 'Olga Old' });
    const before = await CourseMentorModel.countDocuments({});
    await upgradePracticumMentors();
    expect(await CourseMentorModel.countDocuments({})).to.equal(before);
    const candidate = await open(legacyCourse.candidateA, legacyCourse.placement);
    expect(decodeHtml((await get(candidate, '/lti/practicum')).text)).to.include('Olga Old');
  });
});

describe('an emailed mentor’s action reaches the gradebook without any LTI session', () => {
  it('a verification from the link settles the candidate: a completion grade whose outbox write was lost is recorded and sent again', async () => {
    const id = Math.random().toString(36).slice(2, 8);
    const course = await buildPracticumCourse('Mentor grade', { rulePackId: 'custom', requiredHours: '2' });
    const [a, faculty] = await Promise.all([open(course.candidateA, course.placement), open(course.faculty, course.placement)]);
    const mentorEmail = `link-${id}@school.example`;
    expect((await post(a, '/lti/practicum/mentor', { mentorName: 'Lin Link', mentorEmail })).status).to.equal(200);
    const first = await submitIn(a, course.activityId, course.candidateA.sub, '2026-10-01');
    // The LMS is down while faculty approve: the grade waits in the outbox...
    await setSandboxAgsMode('down', { courseId: course.id });
    expect((await post(faculty, '/lti/practicum/entries/approve', { entries: [key(first)] })).status).to.equal(200);
    // ...and that outbox document is lost.
    await GradeOutboxModel.deleteOne({ _id: gradeSyncId(course.activityId, course.candidateA.sub) });
    await setSandboxAgsMode('up', { courseId: course.id });
    const placed = course.placement;
    expect(await getSandboxGrade(placed.lineItemId!, course.candidateA.sub)).to.equal(null);

    // The mentor, from the emailed link, verifies the candidate's next entry.
    const second = await submitIn(a, course.activityId, course.candidateA.sub, '2026-10-02');
    const s = await sessionFromMail(mentorEmail);
    expect((await anonymous().post('/access/practicum/verify').type('form').send({ s, entries: [key(second)] })).status).to.equal(200);
    await runGradeSenderOnce();
    expect(await getSandboxGrade(placed.lineItemId!, course.candidateA.sub)).to.include({ scoreGiven: 50, scoreMaximum: 50 });
  });
});
