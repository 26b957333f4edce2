import { expect } from 'chai';
import { anonymous, buildPracticumCourse, open } from '../practicum/practicum-kit';

describe('LTI session check: a body `state` ltijs could not name a cookie after', function () {
  this.timeout(60_000);

  it('is refused with 400 instead of leaving the request unanswered (with or without an ltik, any path under /lti)', async () => {
    const course = await buildPracticumCourse('State field');
    const faculty = await open(course.faculty, course.placement);
    const cases: [string, Record<string, unknown>][] = [
      ['/lti/practicum', { state: 'a b' }],
      ['/lti/launch', { state: 'x[31m', ltik: 'not-a-jwt' }],
      ['/lti/practicum/entries', { state: { a: 1 }, ltik: { a: 1 } }],
    ];
    for (const [path, body] of cases) {
      const res = await faculty.agent.post(path).set('Accept', 'application/json').send(body).timeout(5_000);
      expect(res.status, `${path} ${JSON.stringify(body)}`).to.equal(400);
      expect(res.body.error).to.equal('lti_state_invalid');
    }
    const form = await anonymous().post('/lti/practicum').type('form').send('state=%5B').timeout(5_000);
    expect(form.status).to.equal(400);
  });

  it('a state made of cookie-name characters still goes on to the session check (401 without a session)', async () => {
    const res = await anonymous().post('/lti/practicum').set('Accept', 'application/json').send({ state: 'ab12cd' }).timeout(5_000);
    expect(res.status).to.equal(401);
  });
});
