import { expect } from 'chai';
import { ActivityModel } from '../../src/activities/activity.model';
import { runGradeSenderOnce } from '../../src/grading/grade-sender';
import { readGradeSyncRecord } from '../../src/grading/outbox.service';
import { MentorshipAuditModel } from '../../src/mentorship/checkin-audit.model';
import { CheckInModel } from '../../src/mentorship/checkin.model';
import { MentorshipGoalModel } from '../../src/mentorship/mentorship-goal.model';
import { getSandboxGrade } from '../../src/sandbox';
import { decodeHtml } from '../helpers/sandbox-launch';
import { anonymous, get, open, post, type Session } from '../practicum/practicum-kit';
import { buildMentorshipCourse, checkInsOf, day, formTokenOf, HELD, recordHeld, type MentorshipCourse } from './mentorship-kit';

const refOf = (c: { _id: unknown; version: number }) => `${String(c._id)}:${c.version}`;

describe('mentorship check-ins: candidate, mentor, faculty', () => {
  let course: MentorshipCourse;
  let a: Session;
  let b: Session;
  let mentor: Session;
  let faculty: Session;
  before(async () => {
    course = await buildMentorshipCourse();
    [a, b, mentor, faculty] = await Promise.all([open(course.candidateA, course.placement), open(course.candidateB, course.placement), open(course.mentorOfA, course.placement), open(course.faculty, course.placement)]);
  });

  it('the placement stored the check-in settings, and each role gets its own view', async () => {
    const activity = await ActivityModel.findById(course.activityId).lean();
    expect(activity?.type).to.equal('mentorship-checkins');
    expect(activity?.settings).to.deep.include({ cadence: 'per-term', perTerm: 3, requiresSignOff: true, requiredParts: ['agenda', 'candidateNotes', 'actionItems'] });
    expect(a.text).to.match(/data-testid="mentorship-panel" data-view="candidate"/);
    expect(decodeHtml(a.text)).to.include('0 of 3 check-ins signed off');
    expect(mentor.text).to.match(/data-view="mentor"/);
    expect(faculty.text).to.match(/data-view="faculty"/);
    expect(faculty.text).to.include('data-testid="compliance-table"');
  });

  it('401 without an LTI session', async () => {
    expect((await anonymous().post('/lti/mentorship/checkins').type('form').send(HELD)).status).to.equal(401);
    expect((await anonymous().get('/lti/mentorship')).status).to.equal(401);
  });

  it('names the mentor the LMS gave the candidate (from the mentor’s launch), to the candidate and to faculty', async () => {
    expect(decodeHtml((await get(a, '/lti/mentorship')).text)).to.include(`Your mentor in the LMS: ${course.mentorOfA.name}.`);
    expect(decodeHtml((await get(b, '/lti/mentorship')).text)).to.include('No mentor named yet.');
    const row = new RegExp(`data-candidate="${course.candidateA.sub}"[\\s\\S]*?</th>`).exec((await get(faculty, '/lti/mentorship')).text)?.[0] ?? '';
    expect(decodeHtml(row)).to.include(`Mentor: ${course.mentorOfA.name}`);
  });

  it('refuses a planned meeting in the past, a held one in the future and an item due before the meeting — keeping what was typed', async () => {
    const past = await post(a, '/lti/mentorship/checkins', { ...HELD, intent: 'plan', agenda: 'Typed agenda kept' });
    expect(past.status).to.equal(400);
    const text = decodeHtml(past.text);
    expect(text).to.include('A meeting in the past can only be recorded as held');
    expect(text).to.include('Typed agenda kept');
    const future = await post(a, '/lti/mentorship/checkins', { ...HELD, date: day(5) });
    expect(future.status).to.equal(400);
    expect(decodeHtml(future.text)).to.include('A meeting that has not happened yet can only be planned.');
    const early = await post(a, '/lti/mentorship/checkins', { ...HELD, item_0_due: day(-20) });
    expect(early.status).to.equal(400);
    expect(decodeHtml(early.text)).to.include('An action item cannot be due before the meeting.');
    const missing = await post(a, '/lti/mentorship/checkins', { intent: 'record', date: day(-3) });
    expect(missing.status).to.equal(400);
    expect(decodeHtml(missing.text)).to.include('Write the agenda').and.to.include('Write your notes from the meeting.').and.to.include('Add at least one action item.');
    const tooLong = await post(a, '/lti/mentorship/checkins', { ...HELD, candidateNotes: 'x'.repeat(10001) });
    expect(tooLong.status).to.equal(400);
    expect(await checkInsOf(course, course.candidateA.sub)).to.have.length(0);
  });

  it('plans a meeting ahead and offers it as a calendar file; only the candidate and their mentor can download it', async () => {
    const res = await post(a, '/lti/mentorship/checkins', { ...HELD, intent: 'plan', date: day(7), item_0_due: day(10), formToken: formTokenOf(a.text) });
    expect(res.status, res.text).to.equal(200);
    const [planned] = await checkInsOf(course, course.candidateA.sub);
    expect(planned).to.include({ status: 'planned', date: day(7), time: '15:30', mode: 'video' });
    const ics = await get(a, `/lti/mentorship/checkins/${String(planned._id)}/calendar.ics`);
    expect(ics.status).to.equal(200);
    expect(ics.headers['content-type']).to.match(/text\/calendar/);
    expect(ics.text).to.include(`DTSTART:${day(7).replace(/-/g, '')}T153000`).and.to.include('DURATION:PT45M').and.to.include('LOCATION:https://meet.example/abc');
    expect((await get(mentor, `/lti/mentorship/checkins/${String(planned._id)}/calendar.ics`)).status).to.equal(200);
    expect((await get(b, `/lti/mentorship/checkins/${String(planned._id)}/calendar.ics`)).status).to.equal(404);
    await CheckInModel.deleteOne({ _id: planned._id });
  });

  it('records a held check-in once however often the form is sent, with an audit record', async () => {
    const token = formTokenOf((await get(a, '/lti/mentorship')).text);
    const [first, second] = await Promise.all([recordHeld(a, { formToken: token }), recordHeld(a, { formToken: token })]);
    expect([first.status, second.status]).to.deep.equal([200, 200]);
    const mine = await checkInsOf(course, course.candidateA.sub);
    expect(mine).to.have.length(1);
    expect(mine[0]).to.include({ status: 'held', candidateNotes: 'We agreed on two goals.' });
    expect(mine[0].actionItems).to.have.length(1);
    const audit = await MentorshipAuditModel.find({ recordId: String(mine[0]._id) }).lean();
    expect(audit.map((x) => x.action)).to.deep.equal(['recorded as held']);
    expect(audit[0].actor).to.include({ kind: 'lti', sub: course.candidateA.sub, role: 'candidate' });
  });

  it('carries open action items into the next check-in automatically', async () => {
    const page = await get(a, '/lti/mentorship');
    // The new form starts with the open item, marked as carried from the first check-in.
    expect(decodeHtml(page.text)).to.include('value="Draft the family-engagement plan"');
    const [first] = await checkInsOf(course, course.candidateA.sub);
    const carriedKey = `${String(first._id)}:${first.actionItems[0].id}`;
    expect(page.text).to.include(`name="item_0_from" value="${carriedKey}"`);
  });

  it('another candidate cannot edit, the mentor cannot record, and faculty cannot sign off', async () => {
    const [mine] = await checkInsOf(course, course.candidateA.sub);
    const edit = await post(b, '/lti/mentorship/checkins', { ...HELD, checkInId: String(mine._id), version: String(mine.version), candidateNotes: 'Hijacked' });
    expect(edit.status).to.equal(404);
    expect((await post(mentor, '/lti/mentorship/checkins', HELD)).status).to.equal(403);
    expect((await post(faculty, '/lti/mentorship/review', { checkIns: refOf(mine), intent: 'sign-off' })).status).to.equal(403);
    expect((await post(a, '/lti/mentorship/review', { checkIns: refOf(mine), intent: 'sign-off' })).status).to.equal(403);
    expect((await post(a, '/lti/mentorship/return', { checkIns: refOf(mine), comment: 'no' })).status).to.equal(403);
    expect((await get(a, '/lti/mentorship/export.csv')).status).to.equal(403);
    expect((await CheckInModel.findById(mine._id).lean())?.candidateNotes).to.equal('We agreed on two goals.');
  });

  it('the mentor sees only their mentees, never an unshared pulse, and cannot open another candidate', async () => {
    const res = await recordHeld(b, { formToken: formTokenOf(b.text), pulse_workload: '1', pulse_support: '2', pulse_confidence: '3', pulse_connection: '2', pulse_help: 'More time with my principal' });
    expect(res.status, res.text).to.equal(200);
    const [bCheckIn] = await checkInsOf(course, course.candidateB.sub);
    const page = await get(mentor, '/lti/mentorship');
    expect(page.text).to.include(`data-checkin="${String((await checkInsOf(course, course.candidateA.sub))[0]._id)}"`);
    expect(page.text).not.to.include(`data-checkin="${String(bCheckIn._id)}"`);
    expect((await get(mentor, `/lti/mentorship/candidates/${encodeURIComponent(course.candidateB.sub)}`)).status).to.equal(403);
    const signB = await post(mentor, '/lti/mentorship/review', { checkIns: refOf(bCheckIn), intent: 'sign-off' });
    expect(signB.status).to.equal(403);
    expect((await CheckInModel.findById(bCheckIn._id).lean())?.status).to.equal('held');
    // Faculty see B's low pulse as a flag, with the answers.
    const fac = await get(faculty, '/lti/mentorship');
    expect(fac.text).to.match(new RegExp(`data-candidate="${course.candidateB.sub}" data-overdue="[a-z]+" data-flag="true"`));
    const history = await get(faculty, `/lti/mentorship/candidates/${encodeURIComponent(course.candidateB.sub)}`);
    expect(decodeHtml(history.text)).to.include('What would help: More time with my principal');
  });

  it('asking for changes needs a comment; the mentor’s notes and sign-off grade the candidate through the gradebook', async () => {
    const [mine] = await checkInsOf(course, course.candidateA.sub);
    const noComment = await post(mentor, '/lti/mentorship/review', { checkIns: refOf(mine), intent: 'request-changes' });
    expect(noComment.status).to.equal(400);
    expect(decodeHtml(noComment.text)).to.include('Say what should change.');
    const notes = await post(mentor, '/lti/mentorship/notes', { checkIn: refOf(mine), mentorNotes: 'Strong plan; involve the PTA.', item_0_text: 'Send the PTA contact', item_0_owner: 'mentor', item_0_due: day(0) });
    expect(notes.status, notes.text).to.equal(200);
    const noted = (await CheckInModel.findById(mine._id).lean())!;
    expect(noted.mentorNotes).to.equal('Strong plan; involve the PTA.');
    expect(noted.actionItems.map((i) => i.addedBy)).to.deep.equal(['candidate', 'mentor']);
    const stale = await post(mentor, '/lti/mentorship/review', { checkIns: refOf(mine), intent: 'sign-off' });
    expect(stale.status, 'the version moved with the notes').to.equal(409);
    const signed = await post(mentor, '/lti/mentorship/review', { checkIns: refOf(noted), intent: 'sign-off', comment: 'Well done' });
    expect(signed.status, signed.text).to.equal(200);
    expect(decodeHtml(signed.text)).to.include('1 check-in signed off. The grade of this candidate was queued for the gradebook.');
    const after = (await CheckInModel.findById(mine._id).lean())!;
    expect(after.status).to.equal('signed-off');
    expect(after.signOff?.by).to.include({ kind: 'lti', sub: course.mentorOfA.sub });
    await runGradeSenderOnce();
    expect(await getSandboxGrade(course.placement.lineItemId!, course.candidateA.sub)).to.include({ scoreGiven: 10, scoreMaximum: 30 });
    // Signed off: the candidate can no longer change it.
    const late = await post(a, '/lti/mentorship/checkins', { ...HELD, checkInId: String(after._id), version: String(after.version) });
    expect(late.status).to.equal(409);
  });

  it('faculty returning a signed-off check-in lowers the grade; coordinators cannot return', async () => {
    const [mine] = await checkInsOf(course, course.candidateA.sub);
    const coordinator = await open(course.coordinator, course.placement);
    expect(coordinator.text).to.match(/data-view="coordinator"/);
    expect((await post(coordinator, '/lti/mentorship/return', { checkIns: refOf(mine), comment: 'No' })).status).to.equal(403);
    const noComment = await post(faculty, '/lti/mentorship/return', { checkIns: refOf(mine) });
    expect(noComment.status).to.equal(400);
    const returned = await post(faculty, '/lti/mentorship/return', { checkIns: refOf(mine), comment: 'Add the evidence you discussed.' });
    expect(returned.status, returned.text).to.equal(200);
    expect((await CheckInModel.findById(mine._id).lean())?.status).to.equal('changes-requested');
    await runGradeSenderOnce();
    expect(await getSandboxGrade(course.placement.lineItemId!, course.candidateA.sub)).to.include({ scoreGiven: 0 });
    expect(await readGradeSyncRecord(course.activityId, course.candidateA.sub)).to.include({ state: 'sent', sentScoreGiven: 0 });
    const page = await get(a, '/lti/mentorship');
    expect(decodeHtml(page.text)).to.include('asked for changes: Add the evidence you discussed.');
  });

  it('a SMART goal is the candidate’s own, with its progress over time', async () => {
    const res = await post(a, '/lti/mentorship/goals', { title: 'Lead a data team', measurable: 'Two cycles', targetDate: day(30), standards: ['4'], progressPercent: '20', progressNote: 'Team formed' });
    expect(res.status, res.text).to.equal(200);
    const goal = (await MentorshipGoalModel.findOne({ activityId: course.activityId, candidateSub: course.candidateA.sub }).lean())!;
    expect(goal.progress).to.have.length(1);
    const update = await post(a, '/lti/mentorship/goals', { goalId: String(goal._id), version: String(goal.version), title: 'Lead a data team', progressPercent: '60', progressNote: 'First cycle done' });
    expect(update.status, update.text).to.equal(200);
    expect((await MentorshipGoalModel.findById(goal._id).lean())?.progress.map((p) => p.percent)).to.deep.equal([20, 60]);
    expect((await post(b, '/lti/mentorship/goals', { goalId: String(goal._id), version: '2', title: 'Mine now' })).status).to.equal(404);
    const bad = await post(a, '/lti/mentorship/goals', { title: '', progressPercent: '140', measurable: 'kept text' });
    expect(bad.status).to.equal(400);
    expect(decodeHtml(bad.text)).to.include('Name the goal.').and.to.include('kept text');
  });

  it('faculty export the compliance table as CSV', async () => {
    const csv = await get(faculty, '/lti/mentorship/export.csv');
    expect(csv.status).to.equal(200);
    expect(csv.headers['content-type']).to.match(/text\/csv/);
    const lines = csv.text.trim().split(/\r?\n/);
    expect(lines[0]).to.match(/^Candidate,Mentor,Held,Signed off/);
    expect(lines.some((l) => l.includes(course.candidateB.name) && l.endsWith(',yes'))).to.equal(true);
  });
});
