import { expect } from 'chai';
import request from 'supertest';
import { AGS_SCOPES, getSandboxGrade, getSandboxRejectedScores, getSandboxScores, getSandboxScoringMode, issueSandboxAccessTokenForTests, setSandboxScoringMode, type ScoringMode } from '../../src/sandbox';
import { decodeHtml } from '../helpers/sandbox-launch';
import { testServer } from '../helpers/test-server';
import { buildCourse } from './sandbox-kit';

const SCORE_TYPE = 'application/vnd.ims.lis.v1.score+json';
const LINEITEM_TYPE = 'application/vnd.ims.lis.v2.lineitem+json';

/** A course in the given scoring mode with a 100-point line item, and a score poster for its candidate. */
async function setup(mode?: ScoringMode) {
  const c = await buildCourse();
  if (mode) await setSandboxScoringMode(c.course.id, mode);
  const token = await issueSandboxAccessTokenForTests(Object.values(AGS_SCOPES));
  const api = request(testServer().baseUrl);
  const base = `/sandbox/ags/${c.course.id}/lineitems`;
  const created = await api.post(base).set('Authorization', `Bearer ${token}`).set('Content-Type', LINEITEM_TYPE).send(JSON.stringify({ label: 'Practicum hours', scoreMaximum: 100 }));
  expect(created.status, created.text).to.equal(201);
  const lineItemUrl = created.body.id as string;
  const lineItemId = lineItemUrl.split('/').pop() as string;
  let clock = Date.now();
  const score = (body: Record<string, unknown>) =>
    api
      .post(`${base}/${lineItemId}/scores`)
      .set('Authorization', `Bearer ${token}`)
      .set('Content-Type', SCORE_TYPE)
      .send(JSON.stringify({ userId: c.candidate.sub, activityProgress: 'Completed', timestamp: new Date((clock += 1000)).toISOString(), ...body }));
  const grade = async () => (await getSandboxGrade(lineItemId, c.candidate.sub))?.scoreGiven ?? null;
  const results = async () => (await api.get(`${new URL(lineItemUrl).pathname}/results`).set('Authorization', `Bearer ${token}`).expect(200)).body as { resultScore?: number }[];
  return { c, api, lineItemId, score, grade, results };
}

describe('Sandbox LMS: Canvas and Moodle scoring modes', () => {
  it('a course follows Canvas by default; the mode is per course and shown on the gradebook page', async () => {
    const canvas = await setup();
    const moodle = await setup('moodle');
    expect(await getSandboxScoringMode(canvas.c.course.id)).to.equal('canvas');
    expect(await getSandboxScoringMode(moodle.c.course.id)).to.equal('moodle');
    const page = async (courseId: string) => decodeHtml((await canvas.api.get(`/sandbox/courses/${courseId}/gradebook`).expect(200)).text);
    expect(await page(canvas.c.course.id)).to.match(/data-mode="canvas"><strong>Scoring: Canvas rules\.<\/strong>/);
    expect(await page(moodle.c.course.id)).to.match(/data-mode="moodle"><strong>Scoring: Moodle rules\.<\/strong>.*PendingManual included, clears the grade/);
    await setSandboxScoringMode(moodle.c.course.id, 'canvas');
    expect(await getSandboxScoringMode(moodle.c.course.id)).to.equal('canvas');
  });

  describe('canvas', () => {
    it('FullyGraded and PendingManual with a scoreGiven write the grade, scaled to the column in results', async () => {
      const { score, grade, results } = await setup('canvas');
      await score({ scoreGiven: 40, scoreMaximum: 50, gradingProgress: 'FullyGraded' }).expect(200);
      expect(await grade()).to.equal(40);
      expect((await results())[0].resultScore).to.equal(80);
      await score({ scoreGiven: 30, scoreMaximum: 50, gradingProgress: 'PendingManual' }).expect(200);
      expect(await grade()).to.equal(30);
    });

    for (const [name, body] of [
      ['Pending with a scoreGiven', { scoreGiven: 10, scoreMaximum: 50, gradingProgress: 'Pending' }],
      ['NotReady', { gradingProgress: 'NotReady' }],
      ['FullyGraded without a scoreGiven', { gradingProgress: 'FullyGraded' }],
    ] as const) {
      it(`${name} clears an existing grade (reset_score?)`, async () => {
        const { score, grade, results, lineItemId, c } = await setup('canvas');
        await score({ scoreGiven: 50, scoreMaximum: 50, gradingProgress: 'FullyGraded' }).expect(200);
        await score(body).expect(200);
        expect(await grade()).to.equal(null);
        expect((await results())[0]).not.to.have.property('resultScore');
        expect((await getSandboxScores(lineItemId, c.candidate.sub))[0]).to.include({ gradebookEffect: 'clear', recordedInGradebook: false, scoringMode: 'canvas' });
      });
    }

    it('the preserve_score extension leaves the grade as it was', async () => {
      const { score, grade } = await setup('canvas');
      await score({ scoreGiven: 50, scoreMaximum: 50, gradingProgress: 'FullyGraded' }).expect(200);
      await score({ gradingProgress: 'Pending', 'https://canvas.instructure.com/lti/submission': { preserve_score: true } }).expect(200);
      expect(await grade()).to.equal(50);
    });
  });

  describe('moodle', () => {
    it('only FullyGraded with a scoreGiven writes the grade; a missing scoreMaximum counts as 1', async () => {
      const { score, grade, results } = await setup('moodle');
      await score({ scoreGiven: 0.5, gradingProgress: 'FullyGraded' }).expect(200);
      expect(await grade()).to.equal(0.5);
      expect((await results())[0].resultScore, 'rescaled to the column: 0.5 of 1 is 50 of 100').to.equal(50);
    });

    for (const [name, body] of [
      ['PendingManual with a scoreGiven', { scoreGiven: 30, scoreMaximum: 50, gradingProgress: 'PendingManual' }],
      ['Pending with a scoreGiven', { scoreGiven: 10, scoreMaximum: 50, gradingProgress: 'Pending' }],
      ['FullyGraded without a scoreGiven', { gradingProgress: 'FullyGraded' }],
    ] as const) {
      it(`${name} clears the grade (scoreGiven nulled unless FullyGraded)`, async () => {
        const { score, grade, lineItemId, c } = await setup('moodle');
        await score({ scoreGiven: 50, scoreMaximum: 50, gradingProgress: 'FullyGraded' }).expect(200);
        await score(body).expect(200);
        expect(await grade()).to.equal(null);
        expect((await getSandboxScores(lineItemId, c.candidate.sub))[0]).to.include({ gradebookEffect: 'clear', scoringMode: 'moodle' });
      });
    }

    it('refuses as Moodle does: 400 for a person it cannot grade, 409 for a score not newer than the grade, "[]" as the body', async () => {
      const { c, score, grade } = await setup('moodle');
      const notGradable = await score({ userId: c.testStudent.sub, scoreGiven: 1, scoreMaximum: 1, gradingProgress: 'FullyGraded' });
      expect(notGradable.status).to.equal(400);
      expect(notGradable.body).to.deep.equal([]);
      const first = await score({ scoreGiven: 20, scoreMaximum: 50, gradingProgress: 'FullyGraded' }).expect(200);
      expect(first.status).to.equal(200);
      const stale = await score({ scoreGiven: 40, scoreMaximum: 50, gradingProgress: 'FullyGraded', timestamp: new Date(Date.now() - 60_000).toISOString() });
      expect(stale.status).to.equal(409);
      expect(stale.body).to.deep.equal([]);
      expect(await grade()).to.equal(20);
      const reasons = (await getSandboxRejectedScores(c.course.id)).map((r) => `${r.status} ${r.reason}`);
      expect(reasons).to.have.length(2);
      expect(reasons[0]).to.match(/^409 Refusing score with an earlier timestamp/);
      expect(reasons[1]).to.equal('400 Incorrect score received');
    });
  });
});
