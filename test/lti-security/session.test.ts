import { expect } from 'chai';
import { decodeJwt, SignJWT } from 'jose';
import mongoose from 'mongoose';
import request from 'supertest';
import { addSandboxPerson, createSandboxCourse, getSandboxGrade, type SandboxPersonView, type SandboxPlacementView } from '../../src/sandbox';
import { launchAs, type LaunchResult } from '../helpers/sandbox-launch';
import { placeActivity } from '../helpers/activity-kit';
import { testServer } from '../helpers/test-server';

/**
 * Session cases (lti.md "Session"): after a launch, every protected request needs an ltik
 * signed with our key, a session cookie for the same user, and ltijs's token records.
 * Each case tries to send a grade and checks the Sandbox gradebook stayed empty.
 */

interface GradedCourse {
  courseId: string;
  candidate: SandboxPersonView;
  facultyA: SandboxPersonView;
  facultyB: SandboxPersonView;
  graded: SandboxPlacementView;
}

async function buildGradedCourse(): Promise<GradedCourse> {
  const suffix = Math.random().toString(36).slice(2, 8);
  const course = await createSandboxCourse({ title: `Session security ${suffix}`, label: `SEC-${suffix}` });
  const [candidate, facultyA, facultyB] = await Promise.all([
    addSandboxPerson(course.id, { name: `Cara Candidate ${suffix}`, roles: 'candidate' }),
    addSandboxPerson(course.id, { name: `Fay Faculty ${suffix}`, roles: 'faculty' }),
    addSandboxPerson(course.id, { name: `Finn Faculty ${suffix}`, roles: 'faculty' }),
  ]);
  const graded = await placeActivity({ courseId: course.id, facultyId: facultyA.id, title: `Session grade ${suffix}`, points: 10, settings: { gradingMode: 'faculty-score' } });
  return { courseId: course.id, candidate, facultyA, facultyB, graded };
}

async function expectNoGrade(course: GradedCourse): Promise<void> {
  expect(await getSandboxGrade(course.graded.lineItemId!, course.candidate.sub)).to.equal(null);
}

function scoreForm(course: GradedCourse, ltik?: string): Record<string, string> {
  return { ...(ltik === undefined ? {} : { ltik }), userId: course.candidate.sub, scoreGiven: '7' };
}

describe('LTI security: sessions (ltik + cookie)', () => {
  let course: GradedCourse;
  let facultyA: LaunchResult;

  before(async function () {
    this.timeout(60_000);
    course = await buildGradedCourse();
    facultyA = await launchAs(testServer().baseUrl, { personId: course.facultyA.id, placementId: course.graded.id });
    expect(facultyA.status, facultyA.text).to.equal(200);
    expect(facultyA.ltik).to.be.a('string');
  });

  it('the control: the genuine ltik with its own cookie reaches the grading route (a bad score is refused by validation, not by the session)', async () => {
    const res = await facultyA.agent.post('/lti/scores').type('form').send({ ltik: facultyA.ltik!, userId: course.candidate.sub, scoreGiven: '-1' });
    expect(res.status, res.text).to.equal(400);
    expect(res.text).to.include('Points cannot be negative.');
    await expectNoGrade(course);
  });

  it('refuses an ltik with the same claims signed with another key (401) and grades nothing', async () => {
    const claims = decodeJwt(facultyA.ltik!);
    const forged = await new SignJWT(claims).setProtectedHeader({ alg: 'HS256', typ: 'JWT' }).sign(new TextEncoder().encode('not-the-fieldbook-encryption-key-0123456789'));
    const res = await facultyA.agent.post('/lti/scores').type('form').send(scoreForm(course, forged));
    expect(res.status, res.text).to.equal(401);
    expect(res.text).to.include('invalid_lti_launch');
    await expectNoGrade(course);
  });

  it('refuses an unsigned (alg none) copy of a real ltik (401)', async () => {
    const [, payload] = facultyA.ltik!.split('.');
    const header = Buffer.from(JSON.stringify({ alg: 'none', typ: 'JWT' })).toString('base64url');
    const res = await facultyA.agent.post('/lti/scores').type('form').send(scoreForm(course, `${header}.${payload}.`));
    expect(res.status, res.text).to.equal(401);
    await expectNoGrade(course);
  });

  it('refuses the ltik of user A presented with the session cookie of user B (401)', async () => {
    const facultyB = await launchAs(testServer().baseUrl, { personId: course.facultyB.id, placementId: course.graded.id });
    expect(facultyB.status).to.equal(200);
    // B's browser (B's cookie for the same platform) carrying A's ltik.
    const res = await facultyB.agent.post('/lti/scores').type('form').send(scoreForm(course, facultyA.ltik!));
    expect(res.status, res.text).to.equal(401);
    expect(res.text).to.include('lti_session_expired');
    // And A's ltik from a browser with no session cookie at all.
    const cookieless = await request(testServer().baseUrl).post('/lti/scores').type('form').send(scoreForm(course, facultyA.ltik!));
    expect(cookieless.status, cookieless.text).to.equal(401);
    await expectNoGrade(course);
  });

  it('refuses an ltik once its idtoken records are gone (as after the 24 h TTL) (401)', async () => {
    const launch = await launchAs(testServer().baseUrl, { personId: course.facultyB.id, placementId: course.graded.id });
    expect(launch.status).to.equal(200);
    const idtokens = mongoose.connection.collection('idtokens');
    expect(await idtokens.countDocuments({ user: course.facultyB.sub })).to.be.greaterThan(0);
    await idtokens.deleteMany({ user: course.facultyB.sub });
    const res = await launch.agent.post('/lti/scores').type('form').send(scoreForm(course, launch.ltik!));
    expect(res.status, res.text).to.equal(401);
    await expectNoGrade(course);
  });

  it('refuses an ltik once its contexttoken records are gone (401)', async () => {
    const launch = await launchAs(testServer().baseUrl, { personId: course.facultyB.id, placementId: course.graded.id });
    expect(launch.status).to.equal(200);
    await mongoose.connection.collection('contexttokens').deleteMany({ user: course.facultyB.sub });
    const res = await launch.agent.post('/lti/scores').type('form').send(scoreForm(course, launch.ltik!));
    expect(res.status, res.text).to.equal(401);
    await expectNoGrade(course);
  });

  for (const [label, ltik] of [
    ['garbage', 'not-a-jwt'],
    ['an empty string', ''],
    ['a route-looking value', '/lti/keys'],
    ['a JSON-looking value', '{"user":"x"}'],
  ] as const) {
    it(`a bad ltik (${label}) never performs the protected action`, async () => {
      const res = await facultyA.agent.post('/lti/scores').type('form').send(scoreForm(course, ltik));
      expect(res.status, res.text).to.equal(401);
      await expectNoGrade(course);
    });
  }

  it('a bad ltik in the Authorization header or the query string is refused the same way', async () => {
    const header = await facultyA.agent.post('/lti/scores').set('Authorization', 'Bearer not-a-jwt').type('form').send(scoreForm(course));
    expect(header.status, header.text).to.equal(401);
    const query = await facultyA.agent.post('/lti/scores?ltik=not-a-jwt').type('form').send(scoreForm(course));
    expect(query.status, query.text).to.equal(401);
    await expectNoGrade(course);
  });
});
