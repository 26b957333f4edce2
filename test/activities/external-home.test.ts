import { expect } from 'chai';
import express from 'express';
import request from 'supertest';
import { createAccessRouter } from '../../src/access';
import type { ActivityKind, ExternalHomePart, ExternalReach } from '../../src/activities/activity-kind';
import { createExternalHome } from '../../src/activities/external-home';
import { createErrorHandler, notFoundHandler } from '../../src/platform/error-handler';
import { createLogger } from '../../src/platform/logger';
import { installViews } from '../../src/platform/views';
import { PracticumEntryModel } from '../../src/practicum/practicum-entry.model';
import { practicumKind } from '../../src/practicum/practicum.kind';
import { findSandboxMailTo } from '../../src/sandbox';
import { buildAccessLink, sessionFromLocation } from '../access/access-kit';
import { decodeHtml } from '../helpers/sandbox-launch';
import { testServer, useTestMailer } from '../helpers/test-server';
import { anonymous, buildPracticumCourse, COMPLETE_ENTRY, open, post, type PracticumCourse } from '../practicum/practicum-kit';

/** A second kind with a part on the mentor's page, recording what the page asked it. */
function checkInsKind(answer: (reach: ExternalReach) => ExternalHomePart | null) {
  const asked: { reach: ExternalReach; kept: unknown }[] = [];
  const kind = {
    type: 'mentorship-check-ins',
    label: 'Mentorship check-ins',
    async externalAwaiting(reach: ExternalReach, kept?: unknown) {
      asked.push({ reach, kept });
      return answer(reach);
    },
  } as unknown as ActivityKind;
  return { kind, asked };
}

const checkInsPart = (reach: ExternalReach): ExternalHomePart => ({
  awaiting: { count: 2, label: 'check-ins to sign off' },
  sections: [{ id: 'check-ins', label: 'Check-ins' }],
  covers: { candidateNames: reach.courses.flatMap((c) => c.candidates.map((x) => x.name)), courseTitles: [], activityTitles: ['Mentorship check-ins'] },
  // Any partial renders a part; this one shows its caption when it has no rows.
  partial: 'practicum/hours-by',
  model: { caption: 'Check-ins awaiting your sign-off', rows: [] },
});

/** The /access router of the app, with the home built from the given kinds (the practicum's routes act on it). */
function appWith(kinds: ActivityKind[]) {
  const { config, fieldbook } = testServer();
  const logger = createLogger({ ...config, logLevel: 'silent' });
  const external = createExternalHome(kinds);
  const app = express();
  installViews(app);
  app.use(express.urlencoded({ extended: false }));
  const screens = [external.router, practicumKind.externalRoutes!({ config, logger, mailer: fieldbook.mailer, home: external.home })];
  app.use('/access', createAccessRouter({ config, logger, screens }));
  app.use(notFoundHandler);
  app.use(createErrorHandler(logger, false));
  return app;
}

const sectionIds = (html: string) => [...html.matchAll(/data-section="([a-z-]+)"/g)].map((m) => m[1]);

describe('the emailed mentor’s home: one page built from every kind', function () {
  this.timeout(60_000);
  let course: PracticumCourse;
  let s: string;
  let entryKey: string;
  const mentorEmail = `marta-${Math.random().toString(36).slice(2, 8)}@district.example`;

  before(async () => {
    useTestMailer(null); // the Sandbox outbox, where the invitation is read
    course = await buildPracticumCourse('Mentor home');
    const a = await open(course.candidateA, course.placement);
    expect((await post(a, '/lti/practicum/entries', { ...COMPLETE_ENTRY, intent: 'submit' })).status).to.equal(200);
    const entry = (await PracticumEntryModel.findOne({ activityId: course.activityId, candidateSub: course.candidateA.sub }).lean())!;
    entryKey = `${String(entry._id)}:${entry.version}`;
    expect((await post(a, '/lti/practicum/mentor', { mentorName: 'Marta Site', mentorEmail })).status).to.equal(200);
    const [mail] = await findSandboxMailTo(mentorEmail);
    const token = /\/access\/([A-Za-z0-9._-]+)/.exec(mail.text)![1];
    s = sessionFromLocation((await anonymous().post('/access/redeem').type('form').send({ token })).headers.location as string);
  });

  it('shows each kind’s part in registry order, its sections in the header’s links and what waits in each on one line', async () => {
    const checkIns = checkInsKind(checkInsPart);
    const res = await request(appWith([practicumKind, checkIns.kind])).get(`/access/home?s=${encodeURIComponent(s)}`);
    expect(res.status, res.text).to.equal(200);
    const html = decodeHtml(res.text);
    expect(html).to.include('data-testid="mentor-queue"').and.to.include(entryKey.split(':')[0]);
    expect(html).to.include('Check-ins awaiting your sign-off');
    expect(html.indexOf('data-testid="mentor-queue"')).to.be.lessThan(html.indexOf('Check-ins awaiting your sign-off'));
    expect(sectionIds(html)).to.deep.equal(['to-verify', 'verified', 'hour-logs', 'check-ins']);
    expect(html).to.include('data-testid="external-awaiting">Waiting for you: 1 entry to verify · 2 check-ins to sign off.<');
    expect(html).to.include('Mentorship check-ins');
    // The kind is given the reach read from the course mentor assignments: the course and candidate A only.
    const [{ reach, kept }] = checkIns.asked;
    expect(kept).to.equal(undefined);
    expect(reach.session.email).to.equal(mentorEmail);
    expect(reach.courses).to.have.length(1);
    expect(reach.courses[0].candidates).to.deep.equal([{ sub: course.candidateA.sub, name: course.candidateA.name }]);
  });

  it('one kind alone says what waits in its own words (no summary line), as the practicum page always did', async () => {
    const html = decodeHtml((await request(appWith([practicumKind])).get(`/access/home?s=${encodeURIComponent(s)}`)).text);
    expect(html).not.to.include('data-testid="external-awaiting"');
    expect(html).to.include('1 entry is waiting for your verification.');
    expect(sectionIds(html)).to.deep.equal(['to-verify', 'verified', 'hour-logs']);
  });

  it('a kind’s action answers with the whole page: the acting kind keeps what was typed, the others are shown as they are', async () => {
    const checkIns = checkInsKind(checkInsPart);
    // Returning without a comment: 400, the ticked entry kept, the other kind's part still there.
    const res = await request(appWith([practicumKind, checkIns.kind])).post('/access/practicum/return').type('form').send({ s, entries: [entryKey], comment: '' });
    expect(res.status, res.text).to.equal(400);
    const html = decodeHtml(res.text);
    expect(html).to.match(new RegExp(`value="${entryKey}"[^>]*checked`));
    expect(html).to.include('data-testid="mentor-flash"');
    expect(html).to.include('Check-ins awaiting your sign-off');
    expect(checkIns.asked.map((a) => a.kept)).to.deep.equal([undefined]);
    expect((await PracticumEntryModel.findOne({ _id: entryKey.split(':')[0] }).lean())?.status).to.equal('submitted');
  });

  it('a session no kind has a part for gets the access router’s own page', async () => {
    const link = await buildAccessLink();
    const other = sessionFromLocation((await request(appWith([])).post('/access/redeem').type('form').send({ token: link.token })).headers.location as string);
    const checkIns = checkInsKind(() => null);
    const res = await request(appWith([practicumKind, checkIns.kind])).get(`/access/home?s=${encodeURIComponent(other)}`);
    expect(res.status, res.text).to.equal(200);
    expect(res.text).to.include('There is nothing for you to do here yet').and.not.to.include('data-testid="mentor-queue"');
    // Nothing in reach (no course names this mentor): no kind is asked.
    expect(checkIns.asked).to.deep.equal([]);
  });
});
