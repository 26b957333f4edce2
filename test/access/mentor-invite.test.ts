import { Writable } from 'node:stream';
import { expect } from 'chai';
import pino from 'pino';
import request from 'supertest';
import { buildMentorInviteMail, listAccessEvents, sendMentorInvite } from '../../src/access';
import { AccessLinkModel } from '../../src/access/access-link.model';
import type { AppConfig } from '../../src/platform/config';
import { AppError } from '../../src/platform/errors';
import { createMailer, type MailOutbox } from '../../src/platform/mailer';
import { redactUrlTokens } from '../../src/platform/redact';
import { findSandboxMailTo, recordSandboxMail } from '../../src/sandbox';
import { startSmtpSink, type SmtpSink } from '../helpers/smtp-sink';
import { testServer } from '../helpers/test-server';
import { sessionFromLocation, unique } from './access-kit';

function withSmtp(smtpUrl: string | null, patch: Partial<AppConfig> = {}): AppConfig {
  const config = testServer().config;
  return { ...config, ...patch, mail: { ...config.mail, smtpUrl } };
}

/** A logger whose lines the test can read. */
function memoryLogger() {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      lines.push(chunk.toString());
      done();
    },
  });
  return { logger: pino({ level: 'debug' }, stream), text: () => lines.join('') };
}

function inviteInput() {
  const id = unique();
  return {
    mentor: { email: `mentor-${id}@school.example`, name: `Mona Mentor ${id}` },
    candidate: { sub: `cand-${id}`, name: 'Cara <Candidate>' },
    activity: { id: `activity-${id}`, title: 'Practicum log & hours' },
    courseTitle: 'EDL 610 — Principal Internship I',
    iss: 'https://lms.example',
    invitedBy: { sub: `fac-${id}`, name: 'Dr. Carla Mendes' },
  };
}

describe('Mail and mentor invitations', () => {
  let sink: SmtpSink;
  before(async () => {
    sink = await startSmtpSink();
  });
  after(async () => {
    await sink.stop();
  });

  it('emails a mentor invitation through SMTP whose link opens the landing page and redeems', async () => {
    const log = memoryLogger();
    const mailer = createMailer(withSmtp(sink.url), log.logger);
    expect(mailer.transport).to.equal('smtp');
    const input = inviteInput();
    const sent = await sendMentorInvite({ config: testServer().config, mailer }, input);

    const mail = await sink.waitFor((m) => m.envelope.to.includes(input.mentor.email), 5000);
    expect(mail.subject).to.equal("Please verify Cara <Candidate>'s Practicum log & hours in Fieldbook");
    expect(mail.from).to.include('no-reply@fieldbook.local');
    expect(mail.text).to.include(`Hello ${input.mentor.name},`).and.include(sent.url).and.include('EDL 610 — Principal Internship I');
    expect(mail.html).to.include('Cara &lt;Candidate&gt;').and.include('Practicum log &amp; hours').and.not.include('<Candidate>');
    expect(mail.html).to.include(`href="${sent.url}"`);

    const url = new URL(/https?:\/\/\S+\/access\/\S+/.exec(mail.text)?.[0] ?? '');
    const api = request(testServer().baseUrl);
    const landing = await api.get(url.pathname).expect(200);
    expect(landing.text).to.include(`Continue as ${input.mentor.name}`);
    const token = url.pathname.split('/access/')[1];
    const redirect = await api.post('/access/redeem').type('form').send({ token }).expect(303);
    await api.get(`/access/home?s=${sessionFromLocation(redirect.headers.location)}`).expect(200);

    const link = await AccessLinkModel.findOne({ jti: sent.jti }).lean();
    expect(link?.subject.email).to.equal(input.mentor.email);
    expect(link?.scope).to.deep.equal({ iss: input.iss, activityId: input.activity.id, candidateSub: input.candidate.sub, clientId: null, contextId: null });
    expect(link?.expiresAt.getTime()).to.be.closeTo(Date.now() + 14 * 24 * 3_600_000, 60_000);
    expect((await listAccessEvents(sent.jti)).map((e) => e.action)).to.deep.equal(['link.issued', 'mail.sent', 'link.redeemed']);
    expect(log.text()).to.include('mail sent').and.not.include(token);
  });

  it('without SMTP in development/test stores mail in the Sandbox outbox it is given', async () => {
    const mailer = createMailer(withSmtp(null), memoryLogger().logger, { outbox: recordSandboxMail });
    expect(mailer.transport).to.equal('sandbox-outbox');
    const to = `outbox-${unique()}@school.example`;
    const { messageId } = await mailer.send({ to, subject: 'Hello', text: 'Plain body', html: '<p>Plain body</p>' });
    expect(messageId).to.match(/^sandbox-[0-9a-f]{24}$/);
    const [stored] = await findSandboxMailTo(to);
    expect(stored).to.include({ subject: 'Hello', text: 'Plain body', hasHtml: true });
    const page = await request(testServer().baseUrl).get('/sandbox/mail').expect(200);
    expect(page.text).to.include(to);
  });

  it('sends through the injected outbox (with the configured From), never through the Sandbox on its own', async () => {
    const received: Array<Parameters<MailOutbox>[0]> = [];
    const outbox: MailOutbox = async (mail) => {
      received.push(mail);
      return { id: 'abc123' };
    };
    const to = `injected-${unique()}@school.example`;
    const mailer = createMailer(withSmtp(null), memoryLogger().logger, { outbox });
    expect(mailer.transport).to.equal('sandbox-outbox');
    expect(await mailer.send({ to, subject: 'Hi', text: 'Body' })).to.deep.equal({ messageId: 'sandbox-abc123' });
    expect(received).to.deep.equal([{ to, from: testServer().config.mail.from, subject: 'Hi', text: 'Body', html: undefined }]);
    expect(await findSandboxMailTo(to)).to.deep.equal([]);

    const withoutOutbox = createMailer(withSmtp(null), memoryLogger().logger);
    expect(withoutOutbox.transport, 'the Sandbox is enabled in tests, but only an injected outbox is used').to.equal('none');
  });

  it('without SMTP and without the Sandbox warns at start and refuses to send with mail_not_configured', async () => {
    const log = memoryLogger();
    const mailer = createMailer(withSmtp(null, { env: 'production', sandbox: { enabled: false } }), log.logger);
    expect(mailer.transport).to.equal('none');
    expect(log.text()).to.include('mail is not configured');
    const err = await mailer.send({ to: 'x@example.edu', subject: 's', text: 't' }).catch((e: unknown) => e);
    expect(err).to.be.instanceOf(AppError);
    expect(err).to.include({ status: 503, id: 'mail_not_configured' });
  });

  it('turns an unreachable SMTP server into a 502, logs no body or token, and revokes the unsent link', async () => {
    const closed = await startSmtpSink();
    const url = closed.url;
    await closed.stop();
    const log = memoryLogger();
    const mailer = createMailer(withSmtp(url), log.logger);
    const input = inviteInput();
    const err = await sendMentorInvite({ config: testServer().config, mailer }, input).catch((e: unknown) => e);
    expect(err).to.be.instanceOf(AppError);
    expect(err).to.include({ status: 502, id: 'mail_send_failed' });
    expect((err as Error).message).to.include(input.mentor.email);
    expect(log.text()).to.include('mail not sent').and.not.include('/access/ey').and.not.include('Hello Mona');

    const link = await AccessLinkModel.findOne({ 'subject.email': input.mentor.email }).lean();
    expect(link?.revokedAt).to.be.instanceOf(Date);
    expect((await listAccessEvents(link?.jti ?? '')).map((e) => e.action)).to.deep.equal(['link.issued', 'mail.failed', 'link.revoked']);
  });

  it('builds a plain invitation whose HTML escapes every value', () => {
    const mail = buildMentorInviteMail({
      mentorName: 'Ms. "Quote" <img src=x>',
      candidateName: 'Cara\r\nBcc: evil@example.com',
      activityTitle: 'Log',
      courseTitle: '',
      url: 'https://fieldbook.example/access/abc?x=1&y=2',
      expiresAt: new Date('2030-05-05T14:00:00Z'),
    });
    // One line (no header injection), and the address-like part is dropped: mail clients would link it.
    expect(mail.subject).to.equal("Please verify Cara Bcc:'s Log in Fieldbook").and.not.match(/[\r\n]/);
    expect(mail.html).to.include('Ms. &quot;Quote&quot; &lt;img src=x&gt;').and.include('href="https://fieldbook.example/access/abc?x=1&amp;y=2"');
    expect(mail.html).to.include('<html lang="en">');
    expect(mail.text).to.include('until May 5, 2030 at 2:00 PM UTC');
  });

  it('redacts access tokens and session tokens from logged URLs', () => {
    const jwt = 'eyJhbGciOiJIUzI1NiJ9.eyJqdGkiOiJ4In0.c2lnbmF0dXJlLXNpZ25hdHVyZQ';
    expect(redactUrlTokens(`/access/${jwt}`)).to.equal('/access/[redacted]');
    expect(redactUrlTokens('/access/home?s=abc&x=1')).to.equal('/access/home?s=[redacted]&x=1');
    expect(redactUrlTokens('/access/redeem')).to.equal('/access/redeem');
  });
});
