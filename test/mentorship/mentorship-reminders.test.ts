import { expect } from 'chai';
import { ActivityModel } from '../../src/activities/activity.model';
import { runJobSlot } from '../../src/jobs/scheduler';
import { mentorshipKind } from '../../src/mentorship/mentorship.kind';
import { MENTORSHIP_REMINDERS_JOB, ReminderModel, runMentorshipReminders, sendOnce } from '../../src/mentorship/reminders';
import { pauseToken, readPauseToken } from '../../src/mentorship/reminder-pause';
import { createLogger } from '../../src/platform/logger';
import { addSandboxPerson, findSandboxMailTo } from '../../src/sandbox';
import { decodeHtml } from '../helpers/sandbox-launch';
import { testServer, useTestMailer } from '../helpers/test-server';
import { anonymous, open, post } from '../practicum/practicum-kit';
import { buildMentorshipCourse, day, formTokenOf, recordHeld, type MentorshipCourse } from './mentorship-kit';

const deps = () => {
  const { config, fieldbook } = testServer();
  return { config, logger: createLogger({ ...config, logLevel: 'silent' }), mailer: fieldbook.mailer };
};
const subjects = async (email: string) => (await findSandboxMailTo(email)).map((m) => m.subject);

describe('mentorship reminders: due soon, overdue and the mentor’s daily digest, each sent once', function () {
  this.timeout(90_000);
  let overdueCourse: MentorshipCourse;
  let dueSoonCourse: MentorshipCourse;
  const mentorEmail = `digest-${Math.random().toString(36).slice(2, 8)}@district.example`;
  const lmsMentorEmail = `lms-mentor-${Math.random().toString(36).slice(2, 8)}@univ.example`;

  before(async () => {
    useTestMailer(null);
    // Due dates at −20, +20 and +60 days: A has held none (overdue); B held one (next due in 20 days).
    overdueCourse = await buildMentorshipCourse();
    // One check-in due in two days: both candidates are due soon.
    dueSoonCourse = await buildMentorshipCourse({ ci_termStart: day(-10), ci_termEnd: day(2), ci_perTerm: '1' });
    const [, b] = await Promise.all([open(overdueCourse.candidateA, overdueCourse.placement), open(overdueCourse.candidateB, overdueCourse.placement), open(dueSoonCourse.candidateA, dueSoonCourse.placement), open(dueSoonCourse.candidateB, dueSoonCourse.placement)]);
    expect((await recordHeld(b, { formToken: formTokenOf(b.text) })).status).to.equal(200);
    // B's mentor in the LMS (their launch names B as their mentee) has it waiting too.
    const lmsMentor = await addSandboxPerson(overdueCourse.id, { name: 'Lee Lms-Mentor', email: lmsMentorEmail, roles: 'mentor', menteeIds: [overdueCourse.candidateB.id] });
    await open(lmsMentor, overdueCourse.placement);
    // B's emailed mentor has B's check-in waiting for their sign-off.
    expect((await post(b, '/lti/mentorship/mentor', { mentorName: 'Dana Digest', mentorEmail })).status).to.equal(200);
  });

  it('a pause link names one person, shows a page, and only its button changes anything', async () => {
    const iss = (await ActivityModel.findById(dueSoonCourse.activityId).lean())!.iss;
    const recipient = { iss, kind: 'candidate' as const, id: dueSoonCourse.candidateB.sub };
    const t = pauseToken(testServer().config, recipient);
    expect(readPauseToken(testServer().config, t)).to.deep.equal(recipient);
    expect(readPauseToken(testServer().config, `${t.slice(0, -2)}xx`), 'an altered link').to.equal(null);
    const page = await anonymous().get(`/access/reminders?t=${t}`);
    expect(page.status).to.equal(200);
    expect(decodeHtml(page.text)).to.include('a few days before a mentor check-in is due');
    expect(await ReminderModel.countDocuments({ candidateSub: recipient.id })).to.equal(0);
    const paused = await anonymous().post('/access/reminders').type('form').send({ t, action: 'pause' });
    expect(paused.status).to.equal(200);
    expect(decodeHtml(paused.text)).to.include('Reminders are paused.');
    expect((await anonymous().get('/access/reminders?t=forged.link')).status).to.equal(404);
  });

  it('two instances running the job at once send each reminder and digest exactly once', async () => {
    const [real] = mentorshipKind.jobs!(deps()).filter((j) => j.name === MENTORSHIP_REMINDERS_JOB);
    // Under a name of its own: app processes of earlier tests may have run this hour's real slot.
    const job = { ...real, name: `${real.name}-${Math.random().toString(36).slice(2, 8)}` };
    const now = new Date();
    // Two runs racing for every reminder key (two instances in overlapping slots): one send each.
    await Promise.all([runMentorshipReminders(deps()), runMentorshipReminders(deps())]);
    // Two instances claiming the same hourly run: one runs it, and it repeats nothing.
    const outcomes = await Promise.all([runJobSlot(job, { now, owner: 'instance-a' }), runJobSlot(job, { now, owner: 'instance-b' })]);
    expect(outcomes.sort()).to.deep.equal(['ran', 'skipped']);
    const a = overdueCourse.candidateA.email!;
    const title = (await ActivityModel.findById(overdueCourse.activityId).lean())!.title;
    expect(await subjects(a)).to.deep.equal([`A mentor check-in is overdue — ${title}`]);
    expect(await subjects(overdueCourse.candidateB.email!), 'next check-in due in 20 days').to.deep.equal([]);
    const dueSoon = await subjects(dueSoonCourse.candidateA.email!);
    expect(dueSoon).to.have.length(1);
    expect(dueSoon[0]).to.match(/^A mentor check-in is due by /);
    expect(await subjects(dueSoonCourse.candidateB.email!), 'paused').to.deep.equal([]);
    const digest = await findSandboxMailTo(mentorEmail);
    const digests = digest.filter((m) => m.subject.includes('awaiting your sign-off'));
    expect(digests.map((m) => m.subject)).to.deep.equal(['1 check-in awaiting your sign-off in Fieldbook']);
    expect(digests[0].text).to.include(overdueCourse.candidateB.name).and.to.include('/access/').and.to.include('/access/reminders?t=');
    // The LMS mentor's digest sends them to the course (they have an account), with no access link.
    const lmsDigests = (await findSandboxMailTo(lmsMentorEmail)).filter((m) => m.subject.includes('awaiting your sign-off'));
    expect(lmsDigests).to.have.length(1);
    expect(lmsDigests[0].text).to.include(overdueCourse.candidateB.name).and.to.include('in your course\'s LMS').and.not.to.include('Open Fieldbook to sign off');
  });

  it('faculty see each candidate’s last reminder and the next one planned', async () => {
    const faculty = await open(overdueCourse.faculty, overdueCourse.placement);
    const text = decodeHtml(faculty.text);
    expect(text).to.include('Reminder emails go out every hour');
    const rowA = new RegExp(`data-candidate="${overdueCourse.candidateA.sub}"[\\s\\S]*?data-testid="row-reminder">([\\s\\S]*?)</td>`).exec(faculty.text)?.[1] ?? '';
    expect(decodeHtml(rowA)).to.include('Overdue reminder sent').and.to.include('Next: None (the overdue reminder went out)');
    const rowB = new RegExp(`data-candidate="${overdueCourse.candidateB.sub}"[\\s\\S]*?data-testid="row-reminder">([\\s\\S]*?)</td>`).exec(faculty.text)?.[1] ?? '';
    expect(decodeHtml(rowB)).to.include('None sent yet').and.to.include(`Due-soon reminder on`);
  });

  it('a reminder the mail server refuses is kept as failed with its reason and sent by a later run', async () => {
    const failing = { ...deps(), mailer: { transport: 'smtp' as const, send: async () => Promise.reject(new Error('550 mailbox unavailable')) } };
    const key = { _id: `overdue:${JSON.stringify(['test', Math.random().toString(36), day(0)])}`, kind: 'overdue' as const, iss: 'test', activityId: 'x', candidateSub: 'y' };
    const mail = async () => ({ to: 'retry@school.example', subject: 'Retry me', text: 'x' });
    expect(await sendOnce(failing, key, mail)).to.equal('failed');
    expect(await ReminderModel.findById(key._id).lean()).to.include({ state: 'failed', reason: '550 mailbox unavailable' });
    // Too soon: left alone. After the lease: sent.
    expect(await sendOnce(deps(), key, mail)).to.equal('already');
    expect(await sendOnce(deps(), key, mail, new Date(Date.now() + 11 * 60_000))).to.equal('sent');
    expect(await ReminderModel.findById(key._id).lean()).to.include({ state: 'sent', attempts: 2 });
    expect(await subjects('retry@school.example')).to.deep.equal(['Retry me']);
  });
});
