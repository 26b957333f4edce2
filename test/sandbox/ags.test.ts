import { expect } from 'chai';
import request from 'supertest';
import {
  AGS_SCOPES,
  getSandboxGrade,
  getSandboxRejectedScores,
  getSandboxScores,
  issueSandboxAccessTokenForTests,
  NRPS_SCOPE,
  revokeSandboxTokens,
  setSandboxAgsMode,
} from '../../src/sandbox';
import { testServer } from '../helpers/test-server';
import { buildCourse, identity } from './sandbox-kit';

const SCORE_TYPE = 'application/vnd.ims.lis.v1.score+json';
const LINEITEM_TYPE = 'application/vnd.ims.lis.v2.lineitem+json';
const ALL = Object.values(AGS_SCOPES);

async function setup() {
  const c = await buildCourse();
  const token = await issueSandboxAccessTokenForTests(ALL);
  const api = request(testServer().baseUrl);
  const base = `/sandbox/ags/${c.course.id}/lineitems`;
  const created = await api
    .post(base)
    .set('Authorization', `Bearer ${token}`)
    .set('Content-Type', LINEITEM_TYPE)
    .send(JSON.stringify({ label: 'Practicum hours', scoreMaximum: 100, resourceLinkId: c.resourceLink.resourceLinkId, tag: 'practicum' }));
  expect(created.status, created.text).to.equal(201);
  const lineItemUrl = created.body.id as string;
  const lineItemId = lineItemUrl.split('/').pop() as string;
  const score = (body: Record<string, unknown>) =>
    api.post(`${base}/${lineItemId}/scores`).set('Authorization', `Bearer ${token}`).set('Content-Type', SCORE_TYPE).send(JSON.stringify(body));
  return { c, token, api, base, lineItemUrl, lineItemId, score };
}

const now = (offsetMs = 0) => new Date(Date.now() + offsetMs).toISOString();

describe('Sandbox LMS: Assignment and Grade Services', () => {
  it('requires a Bearer token (401) with the right scope (403)', async () => {
    const { c, api } = await setup();
    const base = `/sandbox/ags/${c.course.id}/lineitems`;
    await api.get(base).expect(401).expect('WWW-Authenticate', /Bearer/);
    await api.get(base).set('Authorization', 'Bearer nonsense').expect(401);
    const nrpsOnly = await issueSandboxAccessTokenForTests([NRPS_SCOPE]);
    await api.get(base).set('Authorization', `Bearer ${nrpsOnly}`).expect(403);
    const readOnly = await issueSandboxAccessTokenForTests([AGS_SCOPES.lineitemReadonly]);
    await api.get(base).set('Authorization', `Bearer ${readOnly}`).expect(200);
    await api.post(base).set('Authorization', `Bearer ${readOnly}`).send({ label: 'x', scoreMaximum: 1 }).expect(403);
  });

  it('answers 401 to revoked tokens, as Canvas does for a token it no longer honours; tokens without the scope stay valid', async () => {
    const { c, api, base, score } = await setup();
    const nrpsOnly = await issueSandboxAccessTokenForTests([NRPS_SCOPE]);
    const nrpsUrl = `/sandbox/nrps/${c.course.id}/memberships`;
    await api.get(nrpsUrl).set('Authorization', `Bearer ${nrpsOnly}`).expect(200);
    const body = { userId: c.candidate.sub, scoreGiven: 5, scoreMaximum: 10, activityProgress: 'Completed', gradingProgress: 'FullyGraded', timestamp: now() };
    expect((await score(body)).status).to.equal(200);

    expect(await revokeSandboxTokens({ scope: AGS_SCOPES.score })).to.be.at.least(1);

    const refused = await score({ ...body, timestamp: now(1) });
    expect(refused.status, refused.text).to.equal(401);
    expect(refused.headers['www-authenticate']).to.match(/invalid_token/);
    await api.get(base).set('Authorization', `Bearer ${await issueSandboxAccessTokenForTests(ALL)}`).expect(200);
    await api.get(nrpsUrl).set('Authorization', `Bearer ${nrpsOnly}`).expect(200);
  });

  it('creates, filters, pages, updates and deletes line items', async () => {
    const { c, token, api, base, lineItemUrl } = await setup();
    const auth = { Authorization: `Bearer ${token}` };
    expect(lineItemUrl).to.match(new RegExp(`^${identity().issuer}/ags/${c.course.id}/lineitems/[0-9a-f]{24}$`));
    for (let i = 0; i < 3; i++) await api.post(base).set(auth).send({ label: `Extra ${i}`, scoreMaximum: 10, tag: 'extra' }).expect(201);

    const byLink = await api.get(`${base}?resource_link_id=${c.resourceLink.resourceLinkId}`).set(auth).expect(200);
    expect(byLink.headers['content-type']).to.match(/application\/vnd\.ims\.lis\.v2\.lineitemcontainer\+json/);
    expect(byLink.body.map((i: { label: string }) => i.label)).to.deep.equal(['Practicum hours']);
    expect((await api.get(`${base}?tag=extra`).set(auth)).body).to.have.length(3);

    const page1 = await api.get(`${base}?limit=2`).set(auth).expect(200);
    expect(page1.body).to.have.length(2);
    const next = /<([^>]+)>; rel="next"/.exec(page1.headers.link)?.[1] as string;
    expect(next).to.be.a('string');
    const page2 = await api.get(new URL(next).pathname + new URL(next).search).set(auth).expect(200);
    expect(page2.body).to.have.length(2);
    expect(page2.headers.link).not.to.match(/rel="next"/);

    const path = new URL(lineItemUrl).pathname;
    const put = await api.put(path).set(auth).send({ label: 'Renamed', scoreMaximum: 50, resourceLinkId: c.resourceLink.resourceLinkId }).expect(200);
    expect(put.body).to.include({ label: 'Renamed', scoreMaximum: 50 });
    await api.put(path).set(auth).send({ label: 'x', scoreMaximum: 5, resourceLinkId: 'another-link' }).expect(400);
    await api.post(base).set(auth).send({ label: 'bad', scoreMaximum: 0 }).expect(400);
    await api.post(base).set(auth).send({ label: 'bad link', scoreMaximum: 5, resourceLinkId: 'nope' }).expect(400);
    await api.delete(path).set(auth).expect(204);
    await api.get(path).set(auth).expect(404);
  });

  it('accepts a FullyGraded score, writes the grade and reports it as a result', async () => {
    const { c, token, api, lineItemId, lineItemUrl, score } = await setup();
    const res = await score({ userId: c.candidate.sub, scoreGiven: 40, scoreMaximum: 50, comment: 'Good', activityProgress: 'Completed', gradingProgress: 'FullyGraded', timestamp: now() });
    expect(res.status, res.text).to.equal(200);
    expect(res.body.resultUrl).to.include(`${lineItemUrl}/results`);
    const grade = await getSandboxGrade(lineItemId, c.candidate.sub);
    expect(grade).to.include({ scoreGiven: 40, scoreMaximum: 50, comment: 'Good' });
    const results = await api.get(`${new URL(lineItemUrl).pathname}/results`).set('Authorization', `Bearer ${token}`).expect(200);
    expect(results.body).to.deep.equal([
      { id: `${lineItemUrl}/results/${c.candidate.sub}`, scoreOf: lineItemUrl, userId: c.candidate.sub, resultMaximum: 100, resultScore: 80, comment: 'Good' },
    ]);
  });

  it('keeps a Pending score without touching the gradebook grade', async () => {
    const { c, lineItemId, score } = await setup();
    await score({ userId: c.candidate.sub, scoreGiven: 5, scoreMaximum: 10, activityProgress: 'Submitted', gradingProgress: 'Pending', timestamp: now() }).expect(200);
    expect(await getSandboxGrade(lineItemId, c.candidate.sub)).to.equal(null);
    expect(await getSandboxScores(lineItemId, c.candidate.sub)).to.have.length(1);
  });

  it('answers 422 (Canvas body) for the test student, a mentor and a stranger, and records the refusal', async () => {
    const { c, lineItemId, score } = await setup();
    for (const userId of [c.testStudent.sub, c.mentor.sub, 'not-enrolled']) {
      const res = await score({ userId, scoreGiven: 1, scoreMaximum: 1, activityProgress: 'Completed', gradingProgress: 'FullyGraded', timestamp: now() });
      expect(res.status).to.equal(422);
      expect(res.body).to.deep.equal({ errors: { type: 'unprocessable_entity', message: 'User not found in course or is not a student' } });
    }
    expect(await getSandboxScores(lineItemId)).to.have.length(0);
    const rejected = await getSandboxRejectedScores(c.course.id);
    expect(rejected.map((r) => r.status)).to.deep.equal([422, 422, 422]);
  });

  const invalid: Array<[string, Record<string, unknown>]> = [
    ['scoreGiven without scoreMaximum', { scoreGiven: 3, scoreMaximum: undefined }],
    ['a negative scoreGiven', { scoreGiven: -1, scoreMaximum: 10 }],
    ['a string scoreGiven', { scoreGiven: 'NaN', scoreMaximum: 10 }],
    ['scoreMaximum 0', { scoreGiven: 0, scoreMaximum: 0 }],
    ['no timestamp', { timestamp: undefined }],
    ['a timestamp without offset', { timestamp: '2024-05-01T10:00:00' }],
    ['an unknown activityProgress', { activityProgress: 'Done' }],
    ['no gradingProgress', { gradingProgress: undefined }],
  ];
  for (const [name, patch] of invalid) {
    it(`answers 400 for ${name}`, async () => {
      const { c, lineItemId, score } = await setup();
      const body = { userId: c.candidate.sub, scoreGiven: 1, scoreMaximum: 2, activityProgress: 'Completed', gradingProgress: 'FullyGraded', timestamp: now(), ...patch };
      const res = await score(body);
      expect(res.status, res.text).to.equal(400);
      expect(res.body.errors.type).to.equal('bad_request');
      expect(await getSandboxScores(lineItemId)).to.have.length(0);
    });
  }

  it('answers 400 "score timestamp not valid" for a score older than the last one', async () => {
    const { c, lineItemId, score } = await setup();
    const base = { userId: c.candidate.sub, scoreGiven: 1, scoreMaximum: 2, activityProgress: 'Completed', gradingProgress: 'FullyGraded' };
    await score({ ...base, timestamp: now() }).expect(200);
    const stale = await score({ ...base, scoreGiven: 2, timestamp: now(-60_000) });
    expect(stale.status).to.equal(400);
    expect(stale.body.errors.message).to.equal('score timestamp not valid');
    expect((await getSandboxGrade(lineItemId, c.candidate.sub))?.scoreGiven).to.equal(1);
  });

  it('follows the AGS mode switch of a course: down → 503, rate-limited → 429 + Retry-After, slow → no early answer', async () => {
    const { c, token, api, base } = await setup();
    const auth = { Authorization: `Bearer ${token}` };
    try {
      await setSandboxAgsMode('down', { courseId: c.course.id });
      await api.get(base).set(auth).expect(503);
      await api.get(`/sandbox/nrps/${c.course.id}/memberships`).set(auth).expect(503);
      await setSandboxAgsMode('rate-limited', { courseId: c.course.id, retryAfterSeconds: 7 });
      await api.get(base).set(auth).expect(429).expect('Retry-After', '7');
      await setSandboxAgsMode('slow', { courseId: c.course.id });
      const err = await api
        .get(base)
        .set(auth)
        .timeout(1500)
        .then(() => null, (e: Error) => e);
      expect(err?.message).to.match(/timeout/i);
    } finally {
      await setSandboxAgsMode('up', { courseId: c.course.id });
    }
    await api.get(base).set(auth).expect(200);
  });
});
