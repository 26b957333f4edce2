import { expect } from 'chai';
import { buildMentorInviteMail } from '../../src/access';
import { plainName } from '../../src/access/mentor-invite.mail';
import type { AppConfig } from '../../src/platform/config';
import { createLogger } from '../../src/platform/logger';
import { createMailer } from '../../src/platform/mailer';
import { addSandboxPerson } from '../../src/sandbox';
import { startSmtpSink, type SmtpSink } from '../helpers/smtp-sink';
import { testServer, useTestMailer } from '../helpers/test-server';
import { buildPracticumCourse, open, post } from '../practicum/practicum-kit';

/** What a mail client would turn into a link on its own, besides the one link we put there. */
const LINK_LIKE = /https?:|www\.|@|\b[a-z0-9-]+\.(?:example|com|net|org)\b/i;

describe('mentor invitations: names are plain text', function () {
  this.timeout(60_000);
  let sink: SmtpSink;
  before(async () => {
    sink = await startSmtpSink();
    const config: AppConfig = { ...testServer().config, mail: { ...testServer().config.mail, smtpUrl: sink.url } };
    useTestMailer(createMailer(config, createLogger({ ...config, logLevel: 'warn' })));
  });
  after(async () => {
    useTestMailer(null);
    await sink?.stop();
  });

  it('a mentor name with links and lines and a candidate name with a URL arrive as one plain line each, at most 80 characters', async () => {
    const id = Math.random().toString(36).slice(2, 8);
    const course = await buildPracticumCourse('Plain names');
    const candidate = await addSandboxPerson(course.id, { name: `Cara Diaz https://cara.example/profile ${id}`, roles: 'candidate' });
    const session = await open(candidate, course.placement);
    const mentorEmail = `plain-${id}@school.example`;
    const mentorName = `Dr. Mona Ruiz\nclick www.prize.example or http://prize.example/win, write to boss@prize.example, visit prize.example ${'x'.repeat(80)}`;
    const res = await post(session, '/lti/practicum/mentor', { mentorName, mentorEmail });
    expect(res.status, res.text).to.equal(200);

    const mail = await sink.waitFor((m) => m.envelope.to.includes(mentorEmail), 5000);
    const greeting = mail.text.split('\n')[0];
    expect(greeting).to.match(/^Hello Dr\. Mona Ruiz click or write to visit prize\. example x+…,$/);
    expect(Array.from(greeting.slice('Hello '.length, -1))).to.have.length(80);
    expect(greeting).not.to.match(LINK_LIKE);
    expect(mail.subject).to.equal(`Please verify Cara Diaz ${id}'s ${course.placement.title} in Fieldbook`);
    expect(mail.subject).not.to.match(LINK_LIKE);

    // Outside the one link Fieldbook sends, neither part carries anything link-like.
    const accessUrl = /https?:\/\/\S+\/access\/[A-Za-z0-9._-]+/.exec(mail.text)![0];
    expect(mail.text.replace(accessUrl, '')).not.to.match(LINK_LIKE);
    const html = mail.html ?? '';
    expect([...html.matchAll(/href="([^"]+)"/g)].map((m) => m[1])).to.deep.equal([accessUrl]);
    expect(html.replace(`href="${accessUrl}"`, '')).not.to.match(LINK_LIKE);
    expect(html).to.include('<p>Hello Dr. Mona Ruiz click or write to visit prize. example');
    expect(html).to.include('Cara Diaz').and.not.include('cara.example');
  });

  it('keeps ordinary names as they are', () => {
    for (const name of ['Dr. Faye Lin', 'J.R.R. Tolkien', "Zoë O'Neil-Smith", '李小龍', 'Ana María Reyes Jr.', 'Ms. Lee (Site supervisor)']) {
      expect(plainName(name), name).to.equal(name);
    }
  });

  it('folds look-alike and hidden characters before looking for links', () => {
    expect(plainName('ｗｗｗ．prize．example now')).to.equal('now');
    expect(plainName('Mona prize\u200B.example')).to.equal('Mona prize. example');
    expect(plainName('Mona prize。example')).to.equal('Mona prize. example');
    expect(plainName('Mona\u2028Ruiz\tSr.')).to.equal('Mona Ruiz Sr.');
  });

  it('greets without a name when nothing plain is left, and names the candidate generically', () => {
    const mail = buildMentorInviteMail({ mentorName: 'mona@school.example', candidateName: 'https://x.example', activityTitle: 'Log', courseTitle: '', url: 'http://fieldbook.test/access/t', expiresAt: new Date('2030-01-01T00:00:00Z') });
    expect(mail.text.split('\n')[0]).to.equal('Hello,');
    expect(mail.subject).to.equal("Please verify your candidate's Log in Fieldbook");
    expect(mail.text).to.include('Your candidate asked you, as their mentor');
    expect(mail.html).to.include('<p>Hello,</p>');
  });
});
