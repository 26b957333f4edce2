import { expect } from 'chai';
import { listAccessEvents } from '../../src/access';
import { AccessLinkModel } from '../../src/access/access-link.model';
import { AccessAuditModel } from '../../src/access/access-audit.model';
import type { AppConfig } from '../../src/platform/config';
import { createLogger } from '../../src/platform/logger';
import { createMailer } from '../../src/platform/mailer';
import { PracticumAuditModel } from '../../src/practicum/practicum-audit.model';
import { PracticumEntryModel } from '../../src/practicum/practicum-entry.model';
import { CourseMentorModel } from '../../src/courses/course-mentor.model';
import { findSandboxMailTo } from '../../src/sandbox';
import { sessionFromLocation } from '../access/access-kit';
import { startSmtpSink, type SmtpSink } from '../helpers/smtp-sink';
import { decodeHtml } from '../helpers/sandbox-launch';
import { testServer, useTestMailer } from '../helpers/test-server';
import { anonymous, buildPracticumCourse, COMPLETE_ENTRY, get, open, placeInOtherCourse, post, type PracticumCourse, type Session } from './practicum-kit';

const key = (e: { _id: unknown; version: number }) => `${String(e._id)}:${e.version}`;
const reload = async (id: unknown) => (await PracticumEntryModel.findById(id).lean())!;
const linkIn = (text: string) => {
  const url = /https?:\/\/\S+\/access\/[A-Za-z0-9._-]+/.exec(text)?.[0];
  if (!url) throw new Error(`no access link in:\n${text}`);
  return new URL(url).pathname;
};

async function submit(session: Session, course: PracticumCourse, sub: string, overrides: Record<string, string> = {}) {
  const res = await post(session, '/lti/practicum/entries', { ...COMPLETE_ENTRY, ...overrides, intent: 'submit' });
  expect(res.status, res.text).to.equal(200);
  return (await PracticumEntryModel.find({ activityId: course.activityId, candidateSub: sub }).sort({ createdAt: -1 }).limit(1).lean())[0];
}

/** Landing page (nothing consumed) → redeem → the session token. */
async function redeem(path: string): Promise<string> {
  const landing = await anonymous().get(path);
  expect(landing.status, landing.text).to.equal(200);
  const token = path.split('/access/')[1];
  const res = await anonymous().post('/access/redeem').type('form').send({ token });
  expect(res.status, res.text).to.equal(303);
  return sessionFromLocation(res.headers.location as string);
}

const asMentor = (s: string, action: 'verify' | 'return', body: Record<string, string | string[]>) => anonymous().post(`/access/practicum/${action}`).type('form').send({ s, ...body });

describe('practicum log: mentors named by candidates, verifying from an emailed link', function () {
  this.timeout(60_000);
  let sink: SmtpSink;
  let course: PracticumCourse;
  let a: Session;
  let b: Session;
  let faculty: Session;
  let s: string;
  const id = Math.random().toString(36).slice(2, 8);
  const mentorEmail = `mona-${id}@school.example`;

  before(async () => {
    sink = await startSmtpSink();
    const config: AppConfig = { ...testServer().config, mail: { ...testServer().config.mail, smtpUrl: sink.url } };
    useTestMailer(createMailer(config, createLogger({ ...config, logLevel: 'warn' })));
    course = await buildPracticumCourse('Mentored hours');
    [a, b, faculty] = await Promise.all([open(course.candidateA, course.placement), open(course.candidateB, course.placement), open(course.faculty, course.placement)]);
  });
  after(async () => {
    useTestMailer(null);
    await sink?.stop();
  });

  it('the candidate names a mentor: the invitation arrives through SMTP, the page shows the mentor and link status', async () => {
    const res = await post(a, '/lti/practicum/mentor', { mentorName: `Mona Mentor ${id}`, mentorEmail });
    expect(res.status, res.text).to.equal(200);
    const mail = await sink.waitFor((m) => m.envelope.to.includes(mentorEmail));
    expect(mail.subject).to.include(course.candidateA.name);
    const path = linkIn(mail.text);
    const page = decodeHtml((await get(a, '/lti/practicum')).text);
    expect(page).to.include(`Mona Mentor ${id}`).and.to.match(/data-status="invited"/);
    const assignment = await CourseMentorModel.findOne({ candidateSub: course.candidateA.sub }).lean();
    expect(assignment?.mentor.email).to.equal(mentorEmail);
    expect(assignment?.namedBy.role).to.equal('candidate');

    s = await redeem(path);
    expect((await get(a, '/lti/practicum')).text).to.match(/data-status="used"/);
  });

  it('the mentor sees only the candidate’s submitted entries and verifies one, then a batch — audited with email, name and time', async () => {
    const e1 = await submit(a, course, course.candidateA.sub);
    const e2 = await submit(a, course, course.candidateA.sub, { date: '2026-10-06' });
    const e3 = await submit(a, course, course.candidateA.sub, { date: '2026-10-07' });
    const ofB = await submit(b, course, course.candidateB.sub);
    const home = await anonymous().get(`/access/home?s=${encodeURIComponent(s)}`);
    expect(home.status, home.text).to.equal(200);
    expect(home.headers['cache-control']).to.equal('no-store');
    expect(home.text).to.include(String(e1._id)).and.to.include(String(e3._id));
    expect(home.text).not.to.include(String(ofB._id));
    expect(home.text).to.include(`name="s" value="${s}"`);

    const one = await asMentor(s, 'verify', { one: key(e1) });
    expect(one.status, one.text).to.equal(200);
    expect((await reload(e1._id)).status).to.equal('verified');
    const batch = await asMentor(s, 'verify', { entries: [key(e2), key(e3)] });
    expect(batch.status, batch.text).to.equal(200);
    expect((await reload(e2._id)).status).to.equal('verified');
    expect((await reload(e3._id)).status).to.equal('verified');
    const audit = await PracticumAuditModel.findOne({ entryId: e2._id, to: 'verified' }).lean();
    expect(audit?.actor).to.include({ kind: 'external', email: mentorEmail, name: `Mona Mentor ${id}`, role: 'mentor' });
    expect(audit?.at).to.be.instanceOf(Date);
    expect(decodeHtml(batch.text)).to.include('Recently reviewed').and.to.include(String(e2._id));
  });

  it('returning needs a comment (400 keeps the selection and the form), then returns with it', async () => {
    const e = await submit(a, course, course.candidateA.sub, { date: '2026-10-09' });
    const missing = await asMentor(s, 'return', { entries: [key(e)], comment: '  ' });
    expect(missing.status).to.equal(400);
    expect(missing.text).to.match(new RegExp(`value="${key(e)}" id="sel-${String(e._id)}" checked`));
    expect(decodeHtml(missing.text)).to.include('Say what needs to change.');
    expect((await reload(e._id)).status).to.equal('submitted');
    const empty = await asMentor(s, 'verify', { comment: 'kept' });
    expect(empty.status).to.equal(400);
    expect(empty.text).to.include('>kept</textarea>');
    const ok = await asMentor(s, 'return', { entries: [key(e)], comment: 'Add the site district' });
    expect(ok.status, ok.text).to.equal(200);
    const after = await reload(e._id);
    expect(after.status).to.equal('returned');
    expect(after.returned?.comment).to.equal('Add the site district');
  });

  it('never shows or changes another candidate’s entries (403) or another activity’s (404)', async () => {
    const ofB = await submit(b, course, course.candidateB.sub, { date: '2026-10-10' });
    const forbidden = await asMentor(s, 'verify', { entries: [key(ofB)] });
    expect(forbidden.status).to.equal(403);
    expect((await reload(ofB._id)).status).to.equal('submitted');
    const other = await buildPracticumCourse('Elsewhere');
    const otherA = await open(other.candidateA, other.placement);
    const elsewhere = await submit(otherA, other, other.candidateA.sub);
    const notFound = await asMentor(s, 'verify', { entries: [key(elsewhere)] });
    expect(notFound.status).to.equal(404);
    expect((await reload(elsewhere._id)).status).to.equal('submitted');
  });

  it('refuses requests without a live session (401) and malformed batches (400)', async () => {
    expect((await anonymous().get('/access/home')).status).to.equal(401);
    expect((await anonymous().post('/access/practicum/verify').type('form').send({ entries: 'x' })).status).to.equal(401);
    expect((await asMentor('A'.repeat(43), 'verify', { entries: 'x' })).status).to.equal(401);
    expect((await asMentor(s, 'verify', { entries: 'not-an-entry' })).status).to.equal(400);
  });

  it('the candidate sends a new link: the old one is withdrawn and its session ends (401)', async () => {
    const before = await AccessLinkModel.find({ 'scope.activityId': course.activityId, 'scope.candidateSub': course.candidateA.sub }).lean();
    const res = await post(a, '/lti/practicum/mentor', { intent: 'resend' });
    expect(res.status, res.text).to.equal(200);
    await sink.waitFor((m) => m.envelope.to.includes(mentorEmail) && sink.messages.filter((x) => x.envelope.to.includes(mentorEmail)).length >= 2);
    for (const old of before) expect((await AccessLinkModel.findOne({ jti: old.jti }).lean())?.revokedAt).to.be.instanceOf(Date);
    expect((await anonymous().get(`/access/home?s=${encodeURIComponent(s)}`)).status).to.equal(401);
    const latest = sink.messages.filter((m) => m.envelope.to.includes(mentorEmail)).at(-1)!;
    s = await redeem(linkIn(latest.text));
  });

  it('faculty reassign the mentor: the new mentor is invited, the old link is revoked and its session ends', async () => {
    const newEmail = `nia-${id}@school.example`;
    const old = await CourseMentorModel.findOne({ candidateSub: course.candidateA.sub }).lean();
    const res = await post(faculty, '/lti/practicum/mentor', { candidate: course.candidateA.sub, mentorName: 'Nia New', mentorEmail: newEmail });
    expect(res.status, res.text).to.equal(200);
    await sink.waitFor((m) => m.envelope.to.includes(newEmail));
    expect((await AccessLinkModel.findOne({ jti: old!.linkJti! }).lean())?.revokedAt).to.be.instanceOf(Date);
    expect((await anonymous().get(`/access/home?s=${encodeURIComponent(s)}`)).status).to.equal(401);
    const now = await CourseMentorModel.findOne({ candidateSub: course.candidateA.sub }).lean();
    expect(now?.mentor).to.deep.equal({ email: newEmail, name: 'Nia New' });
    expect(now?.namedBy).to.include({ sub: course.faculty.sub, role: 'faculty' });
    const named = await AccessAuditModel.findOne({ action: 'mentor.named', 'target.linkJti': now!.linkJti }).lean();
    expect(named?.actor).to.include({ kind: 'lti', sub: course.faculty.sub });
    expect(named?.reason).to.equal('faculty');
    expect((await listAccessEvents(old!.linkJti!)).map((e) => e.action)).to.include('link.revoked');
    expect(decodeHtml((await get(faculty, '/lti/practicum')).text)).to.include('Nia New');
    expect(decodeHtml((await get(a, '/lti/practicum')).text)).to.include('Nia New').and.to.include('assigned by');
  });

  it('validates the mentor form: a bad email re-renders the form with the input kept (400)', async () => {
    const res = await post(b, '/lti/practicum/mentor', { mentorName: 'Typo Person', mentorEmail: 'typo-at-school' });
    expect(res.status).to.equal(400);
    const html = decodeHtml(res.text);
    expect(html).to.include('value="Typo Person"').and.to.include('value="typo-at-school"').and.to.include('Enter a valid email address');
    expect(await CourseMentorModel.countDocuments({ candidateSub: course.candidateB.sub })).to.equal(0);
    const fac = await post(faculty, '/lti/practicum/mentor', { candidate: course.candidateB.sub, mentorName: '', mentorEmail: 'x@y.example' });
    expect(fac.status).to.equal(400);
    expect(decodeHtml(fac.text)).to.include('value="x@y.example"');
  });

  it('gates the mentor route: 401 without a launch, 403 for another candidate or the wrong role, 404 for an unknown candidate', async () => {
    expect((await anonymous().post('/lti/practicum/mentor').type('form').send({ mentorName: 'X', mentorEmail: 'x@y.example' })).status).to.equal(401);
    const other = await post(b, '/lti/practicum/mentor', { candidate: course.candidateA.sub, mentorName: 'Evil', mentorEmail: `evil-${id}@x.example` });
    expect(other.status).to.equal(403);
    const mentorLti = await open(course.mentorOfA, course.placement);
    expect((await post(mentorLti, '/lti/practicum/mentor', { mentorName: 'X', mentorEmail: 'x@y.example' })).status).to.equal(403);
    const designer = await open(course.designer, course.placement);
    expect((await post(designer, '/lti/practicum/mentor', { mentorName: 'X', mentorEmail: 'x@y.example' })).status).to.equal(403);
    expect((await post(faculty, '/lti/practicum/mentor', { candidate: 'nobody', mentorName: 'X', mentorEmail: 'x@y.example' })).status).to.equal(404);
    expect((await post(faculty, '/lti/practicum/mentor', { mentorName: 'X', mentorEmail: 'x@y.example' })).status).to.equal(400);
    expect((await CourseMentorModel.findOne({ candidateSub: course.candidateA.sub }).lean())?.mentor.name).to.equal('Nia New');
    // Another course's faculty reaching this activity through a borrowed link cannot reassign.
    const borrowed = await placeInOtherCourse(course.activityId);
    const outsider = await open(borrowed.faculty, borrowed.placement);
    expect((await post(outsider, '/lti/practicum/mentor', { candidate: course.candidateA.sub, mentorName: 'X', mentorEmail: 'x@y.example' })).status).to.be.oneOf([403, 404, 409]);
  });

  it('without a swapped mailer the invitation lands in the Sandbox outbox', async () => {
    useTestMailer(null);
    try {
      const email = `outbox-${id}@school.example`;
      const res = await post(b, '/lti/practicum/mentor', { mentorName: 'Otto Outbox', mentorEmail: email });
      expect(res.status, res.text).to.equal(200);
      const [mail] = await findSandboxMailTo(email);
      expect(mail?.text).to.match(/\/access\//);
    } finally {
      const config: AppConfig = { ...testServer().config, mail: { ...testServer().config.mail, smtpUrl: sink.url } };
      useTestMailer(createMailer(config, createLogger({ ...config, logLevel: 'warn' })));
    }
  });
});
