import { expect } from 'chai';
import { runGradeSenderOnce } from '../../src/grading/grade-sender';
import { MentorshipAuditModel } from '../../src/mentorship/checkin-audit.model';
import { CheckInModel } from '../../src/mentorship/checkin.model';
import { findSandboxMailTo, getSandboxGrade } from '../../src/sandbox';
import { sessionFromLocation } from '../access/access-kit';
import { decodeHtml } from '../helpers/sandbox-launch';
import { useTestMailer } from '../helpers/test-server';
import { anonymous, get, open, post, type Session } from '../practicum/practicum-kit';
import { buildMentorshipCourse, checkInsOf, day, formTokenOf, HELD, recordHeld, type MentorshipCourse } from './mentorship-kit';

const refOf = (c: { _id: unknown; version: number }) => `${String(c._id)}:${c.version}`;

/** The candidate names an emailed mentor; the mentor redeems the link. Returns the session token. */
async function inviteAndRedeem(candidate: Session, email: string): Promise<string> {
  const named = await post(candidate, '/lti/mentorship/mentor', { mentorName: 'Marta Site', mentorEmail: email });
  expect(named.status, named.text).to.equal(200);
  expect(decodeHtml(named.text)).to.include('Marta Site was invited by email');
  const [mail] = await findSandboxMailTo(email);
  const token = /\/access\/([A-Za-z0-9._-]+)/.exec(mail.text)![1];
  return sessionFromLocation((await anonymous().post('/access/redeem').type('form').send({ token })).headers.location as string);
}

describe('mentorship check-ins: an emailed mentor signs off without an LMS account', () => {
  let course: MentorshipCourse;
  let a: Session;
  let b: Session;
  let s: string;
  const email = `marta-${Math.random().toString(36).slice(2, 8)}@district.example`;

  before(async () => {
    useTestMailer(null);
    course = await buildMentorshipCourse();
    [a, b] = await Promise.all([open(course.candidateA, course.placement), open(course.candidateB, course.placement)]);
    expect((await recordHeld(a, { formToken: formTokenOf(a.text), pulse_workload: '1', pulse_support: '1', pulse_confidence: '1', pulse_connection: '1', pulse_help: 'Private answer' })).status).to.equal(200);
    expect((await recordHeld(b, { formToken: formTokenOf(b.text) })).status).to.equal(200);
    s = await inviteAndRedeem(a, email);
  });

  it('a name or email left out keeps what was typed and names no one', async () => {
    const res = await post(b, '/lti/mentorship/mentor', { mentorName: 'Kept Name', mentorEmail: 'not-an-email' });
    expect(res.status).to.equal(400);
    expect(decodeHtml(res.text)).to.include('Enter a valid email address').and.to.include('value="Kept Name"');
  });

  it('the mentor’s home shows their mentee’s check-in to sign off — never another candidate’s, never an unshared pulse', async () => {
    const home = await anonymous().get(`/access/home?s=${encodeURIComponent(s)}`);
    expect(home.status).to.equal(200);
    const text = decodeHtml(home.text);
    expect(text).to.include('Check-ins to sign off').and.to.include('1 check-in is waiting for your sign-off.');
    const [mine] = await checkInsOf(course, course.candidateA.sub);
    const [theirs] = await checkInsOf(course, course.candidateB.sub);
    expect(home.text).to.include(`value="${refOf(mine)}"`);
    expect(home.text).not.to.include(String(theirs._id));
    expect(text).not.to.include('Private answer');
  });

  it('a check-in of a candidate they do not mentor is refused, and nothing changes', async () => {
    const [theirs] = await checkInsOf(course, course.candidateB.sub);
    const res = await anonymous().post('/access/mentorship/review').type('form').send({ s, checkIns: refOf(theirs), intent: 'sign-off' });
    expect(res.status).to.equal(403);
    // A check-in id from nowhere in their reach: not found.
    const unknown = await anonymous().post('/access/mentorship/review').type('form').send({ s, checkIns: 'aaaaaaaaaaaaaaaaaaaaaaaa:1', intent: 'sign-off' });
    expect(unknown.status).to.equal(404);
    expect((await CheckInModel.findById(theirs._id).lean())?.status).to.equal('held');
    const noSession = await anonymous().post('/access/mentorship/review').type('form').send({ checkIns: refOf(theirs), intent: 'sign-off' });
    expect(noSession.status).to.be.oneOf([401, 403]);
  });

  it('the emailed mentor adds their notes and an action item, audited with their email; not on another candidate’s check-in', async () => {
    const [mine] = await checkInsOf(course, course.candidateA.sub);
    const res = await anonymous().post('/access/mentorship/notes').type('form').send({ s, checkIn: refOf(mine), mentorNotes: 'Good start; bring the data next time.', item_0_text: 'Share the walkthrough tool', item_0_owner: 'mentor' });
    expect(res.status, res.text).to.equal(200);
    expect(decodeHtml(res.text)).to.include('Your notes were saved.');
    const after = (await CheckInModel.findById(mine._id).lean())!;
    expect(after.mentorNotes).to.equal('Good start; bring the data next time.');
    expect(after.actionItems.map((i) => [i.text, i.addedBy])).to.deep.include(['Share the walkthrough tool', 'mentor']);
    const audit = await MentorshipAuditModel.findOne({ recordId: String(mine._id), action: 'mentor notes saved' }).lean();
    expect(audit?.actor).to.include({ kind: 'external', email });
    const [theirs] = await checkInsOf(course, course.candidateB.sub);
    const denied = await anonymous().post('/access/mentorship/notes').type('form').send({ s, checkIn: refOf(theirs), mentorNotes: 'Not mine' });
    expect(denied.status).to.equal(403);
    expect((await CheckInModel.findById(theirs._id).lean())?.mentorNotes).to.equal('');
  });

  it('signing off is audited with the mentor’s email and reaches the gradebook with no LTI session', async () => {
    const [mine] = await checkInsOf(course, course.candidateA.sub);
    const res = await anonymous().post('/access/mentorship/review').type('form').send({ s, checkIns: refOf(mine), intent: 'sign-off', comment: 'A good meeting' });
    expect(res.status, res.text).to.equal(200);
    expect(decodeHtml(res.text)).to.include('1 check-in signed off.');
    const after = (await CheckInModel.findById(mine._id).lean())!;
    expect(after.status).to.equal('signed-off');
    expect(after.signOff?.by).to.include({ kind: 'external', email });
    const audit = await MentorshipAuditModel.findOne({ recordId: String(mine._id), action: 'signed off' }).lean();
    expect(audit?.actor).to.include({ kind: 'external', email, role: 'mentor' });
    await runGradeSenderOnce();
    expect(await getSandboxGrade(course.placement.lineItemId!, course.candidateA.sub)).to.include({ scoreGiven: 10, scoreMaximum: 30 });
    // The same sign-off sent again: nothing more changes.
    const again = await anonymous().post('/access/mentorship/review').type('form').send({ s, checkIns: refOf(mine), intent: 'sign-off' });
    expect(again.status).to.equal(409);
  });

  it('planning a check-in emails the mentor the meeting with its calendar file, once per date and time', async () => {
    const planned = { ...HELD, intent: 'plan', date: day(7), item_0_due: day(9), formToken: formTokenOf((await get(a, '/lti/mentorship')).text) };
    const first = await post(a, '/lti/mentorship/checkins', planned);
    expect(first.status, first.text).to.equal(200);
    expect(decodeHtml(first.text)).to.include('Marta Site was emailed the meeting with its calendar file.');
    expect((await post(a, '/lti/mentorship/checkins', planned)).status, 'the same form again').to.equal(200);
    const mails = (await findSandboxMailTo(email)).filter((m) => m.subject.startsWith('Mentor check-in with'));
    expect(mails).to.have.length(1);
    expect(mails[0].subject).to.include('at 3:30 PM');
    expect(mails[0].attachments.map((x) => x.filename)).to.deep.equal([`check-in-${day(7)}.ics`]);
    expect(mails[0].attachments[0].content).to.include(`DTSTART:${day(7).replace(/-/g, '')}T153000`);
    // Moved to another day: a new mail for the new day.
    const mine = (await checkInsOf(course, course.candidateA.sub)).find((c) => c.status === 'planned')!;
    const moved = await post(a, '/lti/mentorship/checkins', { ...planned, formToken: '', checkInId: String(mine._id), version: String(mine.version), date: day(8) });
    expect(moved.status, moved.text).to.equal(200);
    expect((await findSandboxMailTo(email)).filter((m) => m.subject.startsWith('Mentor check-in with'))).to.have.length(2);
  });
});
