import { expect } from 'chai';
import { AccessAuditModel } from '../../src/access/access-audit.model';
import { mentorInviteWindows, inviteSlotId } from '../../src/courses/mentor-invite-limits';
import { MentorInviteSlotModel } from '../../src/courses/mentor-invite-slot.model';
import { serviceUnavailable } from '../../src/platform/errors';
import { findSandboxMailTo, sandboxIdentity } from '../../src/sandbox';
import { decodeHtml } from '../helpers/sandbox-launch';
import { testServer, useTestMailer } from '../helpers/test-server';
import { buildPracticumCourse, open, post, type PracticumCourse, type Session } from '../practicum/practicum-kit';

const HOUR_MS = 60 * 60 * 1000;

/** The windows are fixed UTC hours: a test that counts within one must not straddle two. */
async function awayFromHourEdge() {
  const left = HOUR_MS - (Date.now() % HOUR_MS);
  if (left < 30_000) await new Promise((r) => setTimeout(r, left + 200));
}

const limits = () => testServer().config.mentorInvites;
const courseRef = (course: PracticumCourse) => ({ iss: sandboxIdentity(testServer().config).issuer, clientId: sandboxIdentity(testServer().config).clientId, contextId: course.id });

/** Fills a window as another instance would have: its slots in the shared database. */
async function fillWindow(course: PracticumCourse, candidateSub: string | null, kind: string) {
  const window = mentorInviteWindows(limits(), courseRef(course), candidateSub, new Date()).find((w) => w.kind === kind)!;
  const slots = Array.from({ length: window.limit }, (_, i) => ({ _id: inviteSlotId(window, i + 1), expiresAt: window.endsAt, at: new Date() }));
  await MentorInviteSlotModel.insertMany(slots);
  return window;
}

const mailCount = async (emails: string[]) => (await Promise.all(emails.map((e) => findSandboxMailTo(e)))).reduce((n, found) => n + found.length, 0);
const refusals = (candidateSub: string) => AccessAuditModel.find({ action: 'mail.limited', 'target.candidateSub': candidateSub }).lean();

describe('mentor invitations: sending limits kept in the database', function () {
  this.timeout(90_000);
  const id = Math.random().toString(36).slice(2, 8);

  it('30 invitations from one candidate at once: 5 are mailed, 25 answer 429 with the form kept, each refusal audited', async () => {
    const course = await buildPracticumCourse('Limited invitations');
    const a = await open(course.candidateA, course.placement);
    await awayFromHourEdge();
    const emails = Array.from({ length: 30 }, (_, i) => `burst-${id}-${i}@elsewhere.example`);
    const answers = await Promise.all(emails.map((mentorEmail, i) => post(a, '/lti/practicum/mentor', { mentorName: `Burst ${id} ${i}`, mentorEmail })));

    const statuses = answers.map((r) => r.status);
    expect(statuses.filter((s) => s === 200), String(statuses)).to.have.length(limits().perCandidatePerHour);
    expect(statuses.filter((s) => s === 429), String(statuses)).to.have.length(30 - limits().perCandidatePerHour);
    expect(await mailCount(emails)).to.equal(limits().perCandidatePerHour);

    const i = answers.findIndex((r) => r.status === 429);
    const refused = answers[i];
    const page = decodeHtml(refused.text);
    expect(page).to.include('You have sent 5 mentor invitations this hour, the most allowed. Nothing was sent');
    expect(Number(refused.headers['retry-after'])).to.be.within(1, 3600);
    expect(refused.text).to.include(`value="${emails[i]}"`).and.to.include(`value="Burst ${id} ${i}"`);

    const audit = await refusals(course.candidateA.sub);
    expect(audit).to.have.length(25);
    expect(audit[0]).to.deep.include({ reason: 'candidate-hour' });
    expect(audit[0].actor).to.include({ kind: 'lti', sub: course.candidateA.sub });
    expect(audit.map((r) => r.target.email)).to.have.members(emails.filter((_, k) => answers[k].status === 429));

    // "Send a new link" is an invitation too; another candidate of the course is not affected.
    const resend = await post(a, '/lti/practicum/mentor', { intent: 'resend' });
    expect(resend.status).to.equal(429);
    const b = await open(course.candidateB, course.placement);
    const ofB = await post(b, '/lti/practicum/mentor', { mentorName: 'Bea Mentor', mentorEmail: `bea-${id}@school.example` });
    expect(ofB.status, ofB.text).to.equal(200);
    expect(await findSandboxMailTo(`bea-${id}@school.example`)).to.have.length(1);
  });

  it('faculty reassigning a candidate who reached their limit is not held by it', async () => {
    const course = await buildPracticumCourse('Faculty reassigns');
    await awayFromHourEdge();
    await fillWindow(course, course.candidateA.sub, 'candidate-hour');
    const a = await open(course.candidateA, course.placement);
    expect((await post(a, '/lti/practicum/mentor', { mentorName: 'Own pick', mentorEmail: `own-${id}@school.example` })).status).to.equal(429);
    const faculty = await open(course.faculty, course.placement);
    const res = await post(faculty, '/lti/practicum/mentor', { candidate: course.candidateA.sub, mentorName: 'Assigned Mentor', mentorEmail: `assigned-${id}@school.example` });
    expect(res.status, res.text).to.equal(200);
    expect(await findSandboxMailTo(`assigned-${id}@school.example`)).to.have.length(1);
    expect(await findSandboxMailTo(`own-${id}@school.example`)).to.have.length(0);
  });

  it('a day limit reached through another instance holds here: per candidate, then per course for everyone', async () => {
    const course = await buildPracticumCourse('Day limits');
    await awayFromHourEdge();
    await fillWindow(course, course.candidateA.sub, 'candidate-day');
    const a = await open(course.candidateA, course.placement);
    const refused = await post(a, '/lti/practicum/mentor', { mentorName: 'Day Mentor', mentorEmail: `day-${id}@school.example` });
    expect(refused.status).to.equal(429);
    expect(decodeHtml(refused.text)).to.include('You have sent 20 mentor invitations today, the most allowed.');
    expect((await refusals(course.candidateA.sub))[0]).to.deep.include({ reason: 'candidate-day' });

    await fillWindow(course, null, 'course-day');
    const b = await open(course.candidateB, course.placement);
    const ofB = await post(b, '/lti/practicum/mentor', { mentorName: 'Course Mentor', mentorEmail: `course-${id}@school.example` });
    expect(ofB.status).to.equal(429);
    expect(decodeHtml(ofB.text)).to.include('This course has sent 200 mentor invitations today');
    const faculty = await open(course.faculty, course.placement);
    const reassign = await post(faculty, '/lti/practicum/mentor', { candidate: course.candidateB.sub, mentorName: 'Course Mentor', mentorEmail: `course-${id}@school.example` });
    expect(reassign.status).to.equal(429);
    expect(reassign.text).to.include(`value="course-${id}@school.example"`);
    expect(await findSandboxMailTo(`course-${id}@school.example`)).to.have.length(0);
    expect((await refusals(course.candidateB.sub)).map((r) => r.reason)).to.deep.equal(['course-day', 'course-day']);
    // The candidate's hour window gave back the slot it took before the course window refused.
    const hour = mentorInviteWindows(limits(), courseRef(course), course.candidateB.sub, new Date()).find((w) => w.kind === 'candidate-hour')!;
    expect(await MentorInviteSlotModel.exists({ _id: inviteSlotId(hour, 1) })).to.equal(null);
  });

  it('an invitation that could not be mailed does not count', async () => {
    const course = await buildPracticumCourse('Mail down');
    await awayFromHourEdge();
    const a: Session = await open(course.candidateA, course.placement);
    useTestMailer({
      transport: 'smtp',
      send: async () => {
        throw serviceUnavailable('mail_unavailable', 'The mail server did not answer.');
      },
    });
    try {
      for (let i = 0; i < limits().perCandidatePerHour + 1; i += 1) {
        expect((await post(a, '/lti/practicum/mentor', { mentorName: 'Down Mentor', mentorEmail: `down-${id}@school.example` })).status).to.equal(503);
      }
    } finally {
      useTestMailer(null);
    }
    const windows = mentorInviteWindows(limits(), courseRef(course), course.candidateA.sub, new Date());
    expect(await MentorInviteSlotModel.countDocuments({ _id: { $in: windows.map((w) => inviteSlotId(w, 1)) } })).to.equal(0);
    const ok = await post(a, '/lti/practicum/mentor', { mentorName: 'Up Mentor', mentorEmail: `up-${id}@school.example` });
    expect(ok.status, ok.text).to.equal(200);
  });
});
