import { expect } from 'chai';
import request from 'supertest';
import { addSandboxPerson, createSandboxCourse, getSandboxGrade, getSandboxScores, type SandboxPersonView, type SandboxPlacementView } from '../../src/sandbox';
import { launchAs, type LaunchResult } from '../helpers/sandbox-launch';
import { placeActivity } from '../helpers/activity-kit';
import { testServer } from '../helpers/test-server';

/**
 * Request safety: operator injection into query filters, cross-site requests riding on
 * the session cookie, and error pages that would leak internals.
 */

interface GradedCourse {
  courseId: string;
  candidate: SandboxPersonView;
  faculty: SandboxPersonView;
  graded: SandboxPlacementView;
}

async function buildGradedCourse(): Promise<GradedCourse> {
  const suffix = Math.random().toString(36).slice(2, 8);
  const course = await createSandboxCourse({ title: `Request safety ${suffix}`, label: `RS-${suffix}` });
  const [candidate, faculty] = await Promise.all([
    addSandboxPerson(course.id, { name: `Rae Candidate ${suffix}`, roles: 'candidate' }),
    addSandboxPerson(course.id, { name: `Sol Faculty ${suffix}`, roles: 'faculty' }),
  ]);
  const graded = await placeActivity({ courseId: course.id, facultyId: faculty.id, title: `Safety grade ${suffix}`, points: 10, settings: { gradingMode: 'faculty-score' } });
  return { courseId: course.id, candidate, faculty, graded };
}

/** Nothing reached the Sandbox gradebook for this course. */
async function expectGradebookUntouched(course: GradedCourse): Promise<void> {
  expect(await getSandboxGrade(course.graded.lineItemId!, course.candidate.sub)).to.equal(null);
  expect(await getSandboxScores(course.graded.lineItemId!)).to.have.lengthOf(0);
}

const FILE_PATH = /(\/work\/|\/home\/|\/usr\/|node_modules|[A-Z]:\\|\.(ts|js):\d+|\bat [\w.<>]+ \()/;

describe('LTI security: request safety', () => {
  let course: GradedCourse;
  let faculty: LaunchResult;

  before(async function () {
    this.timeout(60_000);
    course = await buildGradedCourse();
    faculty = await launchAs(testServer().baseUrl, { personId: course.faculty.id, placementId: course.graded.id });
    expect(faculty.status, faculty.text).to.equal(200);
    expect(faculty.ltik).to.be.a('string');
  });

  describe('operator injection', () => {
    it('a form body with userId[$ne]=x is refused (400) and grades nobody', async () => {
      const res = await faculty.agent.post('/lti/scores').type('form').send(`ltik=${encodeURIComponent(faculty.ltik!)}&userId[$ne]=x&scoreGiven=5`);
      expect(res.status, res.text).to.equal(400);
      await expectGradebookUntouched(course);
    });

    it('a JSON body with userId {"$gt": ""} is refused (400) and grades nobody', async () => {
      const res = await faculty.agent.post('/lti/scores').set('Accept', 'application/json').send({ ltik: faculty.ltik, userId: { $gt: '' }, scoreGiven: 5 });
      expect(res.status, res.text).to.equal(400);
      await expectGradebookUntouched(course);
    });

    it('a JSON body with an array userId or operator scoreGiven is refused and grades nobody', async () => {
      const arrayUser = await faculty.agent.post('/lti/scores').send({ ltik: faculty.ltik, userId: [course.candidate.sub], scoreGiven: 5 });
      expect(arrayUser.status, arrayUser.text).to.equal(400);
      const operatorScore = await faculty.agent.post('/lti/scores').send({ ltik: faculty.ltik, userId: course.candidate.sub, scoreGiven: { $gt: 0 } });
      expect(operatorScore.status, operatorScore.text).to.equal(400);
      await expectGradebookUntouched(course);
    });

    it('an operator object as the ltik never reaches the session check: refused at the operator-key wall (400)', async () => {
      const res = await faculty.agent.post('/lti/scores').set('Accept', 'application/json').send({ ltik: { $ne: null }, userId: course.candidate.sub, scoreGiven: 5 });
      expect(res.status, res.text).to.equal(400);
      expect(res.body.error).to.equal('operator_key_refused');
      await expectGradebookUntouched(course);
    });
  });

  describe('cross-site requests (CSRF)', () => {
    it('a POST carrying only the session cookies of a valid launch (no ltik) is refused (401) and changes nothing', async () => {
      // The agent holds the lti<platform> session cookie from the launch, as a browser would send it cross-site.
      const res = await faculty.agent.post('/lti/scores').set('Origin', 'https://evil.example').type('form').send({ userId: course.candidate.sub, scoreGiven: '9' });
      expect(res.status, res.text).to.equal(401);
      await expectGradebookUntouched(course);
    });

    it('an ltik placed in a cookie is not read as the session token (401)', async () => {
      const res = await faculty.agent.post('/lti/scores').set('Cookie', `ltik=${faculty.ltik!}`).type('form').send({ userId: course.candidate.sub, scoreGiven: '9' });
      expect(res.status, res.text).to.equal(401);
      await expectGradebookUntouched(course);
    });

    it('the same session works when the ltik comes in the Authorization header (the control)', async () => {
      const res = await faculty.agent.post('/lti/scores').set('Authorization', `Bearer ${faculty.ltik!}`).type('form').send({ userId: course.candidate.sub, scoreGiven: '-1' });
      // Reaches validation: the session was accepted, the score was not.
      expect(res.status, res.text).to.equal(400);
      expect(res.text).to.include('Points cannot be negative.');
      await expectGradebookUntouched(course);
    });
  });

  describe('error pages', () => {
    const cases: Array<[string, (agent: ReturnType<typeof request>) => request.Test]> = [
      ['404 page', (a) => a.get('/no-such-page')],
      ['401 page of the LTI mount', (a) => a.post('/lti/scores').type('form').send({ userId: 'x', scoreGiven: '1' })],
      ['400 page for a malformed JSON body', (a) => a.post('/lti/scores').set('Content-Type', 'application/json').send('{"ltik": ')],
      ['400 page for a bad login', (a) => a.get('/lti/login').query({ iss: 'not a url' })],
    ];
    for (const [label, send] of cases) {
      it(`the ${label} shows no file paths or stack frames (HTML and JSON)`, async () => {
        const html = await send(request(testServer().baseUrl));
        expect(html.status, html.text).to.be.within(400, 499);
        expect(html.text).not.to.match(FILE_PATH);
        expect(html.text).not.to.include('Error: ');
        const json = await send(request(testServer().baseUrl)).set('Accept', 'application/json');
        expect(json.status).to.be.within(400, 499);
        expect(json.text).not.to.match(FILE_PATH);
        expect(json.text).not.to.include('"stack"');
      });
    }
  });
});
