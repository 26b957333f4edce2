import { expect } from 'chai';
import request from 'supertest';
import { createLogger } from '../../src/platform/logger';
import { AGS_SCOPES, createSandboxLineItem, ensureSandboxReady, issueSandboxAccessTokenForTests, recordSandboxMail } from '../../src/sandbox';
import { SandboxCourse, SandboxKey } from '../../src/sandbox/sandbox.models';
import { deepLinkAs, launchAs } from '../helpers/sandbox-launch';
import { testServer } from '../helpers/test-server';
import { buildCourse } from './sandbox-kit';

describe('Sandbox LMS: pages and the full launch round trip', () => {
  it('home page lists the seeded demo course, people, launch buttons and the outbox', async () => {
    const res = await request(testServer().baseUrl).get('/sandbox').expect(200);
    expect(res.text).to.include('<html lang="en"');
    expect(res.text).to.include('EDL 610 — Principal Internship I');
    for (const name of ['Ana Ruiz', 'Ben Okafor', 'Test Student', 'Dr. Carla Mendes', 'Dev Patel', 'Maria Lopez', 'Grace Kim', 'Omar Haddad']) expect(res.text).to.include(name);
    expect(res.text).to.match(/href="\/sandbox\/launch\/[0-9a-f]{24}\/[0-9a-f]{24}"/);
    expect(res.text).to.include('href="/sandbox/mail"');
    expect(res.text).to.include('Account navigation');
  });

  it('launches a candidate into the tool through the real OIDC round trip', async () => {
    const c = await buildCourse();
    const result = await launchAs(testServer().baseUrl, { personId: c.candidate.id, placementId: c.resourceLink.id });
    expect(result.ltik, result.text.slice(0, 300)).to.be.a('string');
    expect(result.status).to.equal(200);
    expect(result.idTokenClaims.sub).to.equal(c.candidate.sub);
    expect(result.text).to.include('Cara Candidate');
  });

  it('opens the tool’s deep-linking picker for faculty', async () => {
    const c = await buildCourse();
    const result = await deepLinkAs(testServer().baseUrl, { personId: c.faculty.id, placementId: c.deepLinking.id });
    expect(result.ltik).to.be.a('string');
    expect(result.status).to.equal(200);
    expect(result.deepLinkingSettings.deep_link_return_url).to.match(/\/sandbox\/deep-link-return$/);
  });

  it('gradebook shows learners, line items, the latest score and refused attempts, escaped', async () => {
    const c = await buildCourse();
    const li = await createSandboxLineItem(c.course.id, { label: '<b>Portfolio</b>', scoreMaximum: 10 });
    const token = await issueSandboxAccessTokenForTests(Object.values(AGS_SCOPES));
    const api = request(testServer().baseUrl);
    const scores = `/sandbox/ags/${c.course.id}/lineitems/${li._id.toHexString()}/scores`;
    const ts = new Date().toISOString();
    await api.post(scores).set('Authorization', `Bearer ${token}`).send({ userId: c.candidate.sub, scoreGiven: 7, scoreMaximum: 10, comment: 'Nice <script>', activityProgress: 'Completed', gradingProgress: 'FullyGraded', timestamp: ts }).expect(200);
    await api.post(scores).set('Authorization', `Bearer ${token}`).send({ userId: c.testStudent.sub, scoreGiven: 1, scoreMaximum: 10, activityProgress: 'Completed', gradingProgress: 'FullyGraded', timestamp: ts }).expect(422);
    const page = await api.get(`/sandbox/courses/${c.course.id}/gradebook`).expect(200);
    expect(page.text).to.include('&lt;b&gt;Portfolio&lt;/b&gt;').and.not.include('<b>Portfolio</b>');
    expect(page.text).to.include('7 / 10').and.include('Nice &lt;script&gt;');
    expect(page.text).to.include('User not found in course or is not a student');
    await api.get('/sandbox/courses/nope/gradebook').expect(404);
  });

  it('mail outbox lists newest first and shows a message as text, HTML links as text', async () => {
    const { id } = await recordSandboxMail({
      to: 'mentor@example.edu',
      from: 'Fieldbook <no-reply@fieldbook.local>',
      subject: 'Please verify <hours>',
      text: 'Open https://fieldbook.example/verify?t=1',
      html: '<p onclick="x()">Open <a href="https://fieldbook.example/verify?t=1&amp;x=2">verify</a></p><script>alert(1)</script>',
    });
    const api = request(testServer().baseUrl);
    const list = await api.get('/sandbox/mail').expect(200);
    expect(list.text).to.include(`/sandbox/mail/${id}`).and.include('Please verify &lt;hours&gt;');
    const show = await api.get(`/sandbox/mail/${id}`).expect(200);
    expect(show.text).to.include('Open https://fieldbook.example/verify?t&#x3D;1');
    expect(show.text).to.include('https://fieldbook.example/verify?t&#x3D;1&amp;x&#x3D;2');
    expect(show.text).not.to.include('alert(1)').and.not.include('onclick');
    await api.get('/sandbox/mail/0123456789abcdef01234567').expect(404);
  });
});

describe('Sandbox LMS: ensureSandboxReady', () => {
  it('is idempotent when called concurrently (one key, one demo course)', async () => {
    const config = testServer().config;
    const deps = { config, logger: createLogger({ ...config, logLevel: 'silent' }) };
    await Promise.all([ensureSandboxReady(deps), ensureSandboxReady(deps), ensureSandboxReady(deps)]);
    expect(await SandboxKey.countDocuments()).to.equal(1);
    expect(await SandboxCourse.countDocuments({ key: 'seed:course:edl610' })).to.equal(1);
  });
});
