import { expect } from 'chai';
import { createHash } from 'node:crypto';
import { Types } from 'mongoose';
import request from 'supertest';
import { AGS_SCOPES, getSandboxGrade, getSandboxScores, issueSandboxAccessTokenForTests, setSandboxScoringMode, type ScoringMode } from '../../src/sandbox';
import { SandboxAccessToken, SandboxGrade, SandboxScoreHead } from '../../src/sandbox/ags.models';
import { foldLegacyScoreHeads } from '../../src/sandbox/score.service';
import { testServer } from '../helpers/test-server';
import { buildCourse } from './sandbox-kit';

const SCORE_TYPE = 'application/vnd.ims.lis.v1.score+json';
const LINEITEM_TYPE = 'application/vnd.ims.lis.v2.lineitem+json';

async function setup(mode: ScoringMode = 'canvas') {
  const c = await buildCourse();
  await setSandboxScoringMode(c.course.id, mode);
  const token = await issueSandboxAccessTokenForTests(Object.values(AGS_SCOPES));
  const api = request(testServer().baseUrl);
  const base = `/sandbox/ags/${c.course.id}/lineitems`;
  const created = await api.post(base).set('Authorization', `Bearer ${token}`).set('Content-Type', LINEITEM_TYPE).send(JSON.stringify({ label: 'Hours', scoreMaximum: 10 }));
  expect(created.status, created.text).to.equal(201);
  const lineItemUrl = created.body.id as string;
  const lineItemId = lineItemUrl.split('/').pop() as string;
  const score = (body: Record<string, unknown>, bearer = token) =>
    api
      .post(`${base}/${lineItemId}/scores`)
      .set('Authorization', `Bearer ${bearer}`)
      .set('Content-Type', SCORE_TYPE)
      .send(JSON.stringify({ userId: c.candidate.sub, scoreMaximum: 10, activityProgress: 'Completed', gradingProgress: 'FullyGraded', ...body }));
  const results = async () => (await api.get(`${new URL(lineItemUrl).pathname}/results`).set('Authorization', `Bearer ${token}`).expect(200)).body as unknown[];
  return { c, api, lineItemId, score, results };
}

const at = (seconds: number) => new Date(Date.UTC(2026, 9, 1, 9, 0, seconds)).toISOString();

describe('Sandbox LMS: score timestamps per user and line item', () => {
  it('concurrent scores for one user: the newest is accepted and shown, each older one refused or overtaken (Canvas)', async () => {
    const { c, lineItemId, score } = await setup();
    const seconds = [3, 7, 1, 8, 5, 2, 6, 4];
    const answers = await Promise.all(seconds.map((s) => score({ scoreGiven: s, timestamp: at(s) })));
    const accepted = seconds.filter((_, i) => answers[i].status === 200);
    for (const [i, res] of answers.entries()) {
      if (res.status !== 200) expect({ status: res.status, message: res.body.errors?.message }, `score ${seconds[i]}`).to.deep.equal({ status: 400, message: 'score timestamp not valid' });
    }
    expect(accepted, 'the newest score can never be stale').to.include(8);
    const grade = await getSandboxGrade(lineItemId, c.candidate.sub);
    expect(grade).to.include({ scoreGiven: 8 });
    expect(grade!.timestamp.toISOString()).to.equal(at(8));
    expect((await getSandboxScores(lineItemId, c.candidate.sub)).map((s) => s.scoreGiven).sort()).to.deep.equal([...accepted].sort());
    // Afterwards every older score is refused.
    expect((await score({ scoreGiven: 1, timestamp: at(7) })).status).to.equal(400);
  });

  it('the same timestamp posted twice at once is taken once in Moodle mode (409 for the other)', async () => {
    const { c, lineItemId, score } = await setup('moodle');
    const answers = await Promise.all([score({ scoreGiven: 4, timestamp: at(10) }), score({ scoreGiven: 6, timestamp: at(10) })]);
    expect(answers.map((a) => a.status).sort()).to.deep.equal([200, 409]);
    const taken = answers[0].status === 200 ? 4 : 6;
    expect(await getSandboxGrade(lineItemId, c.candidate.sub)).to.include({ scoreGiven: taken });
    expect((await getSandboxScores(lineItemId, c.candidate.sub)).map((s) => s.scoreGiven)).to.deep.equal([taken]);
  });

  it('a first score that leaves the gradebook alone shows no cell, yet an older score after it is refused', async () => {
    const { c, lineItemId, score, results } = await setup();
    await score({ scoreGiven: 3, timestamp: at(20), 'https://canvas.instructure.com/lti/submission': { preserve_score: true } }).expect(200);
    await score({ gradingProgress: 'Pending', timestamp: at(21) }).expect(200);
    expect(await getSandboxGrade(lineItemId, c.candidate.sub)).to.equal(null);
    expect(await results()).to.deep.equal([]);
    expect((await score({ scoreGiven: 5, timestamp: at(19) })).status).to.equal(400);
    await score({ scoreGiven: 9, timestamp: at(22) }).expect(200);
    expect(await getSandboxGrade(lineItemId, c.candidate.sub)).to.include({ scoreGiven: 9 });
    expect(await results()).to.have.length(1);
  });

  it('timestamps kept before they moved onto the cell still refuse older scores, on a cell keyed by _id or by key only', async () => {
    const { c, lineItemId, score } = await setup();
    const key = `${lineItemId}:${c.candidate.sub}`;
    await SandboxScoreHead.create({ _id: key, timestamp: new Date(at(30)) });
    await foldLegacyScoreHeads();
    expect(await SandboxScoreHead.findById(key)).to.equal(null);
    expect((await score({ scoreGiven: 2, timestamp: at(29) })).status, 'no cell, a kept timestamp').to.equal(400);
    expect(await getSandboxGrade(lineItemId, c.candidate.sub)).to.equal(null);

    const other = await setup();
    const otherKey = `${other.lineItemId}:${other.c.candidate.sub}`;
    const fields = { courseId: new Types.ObjectId(other.c.course.id), lineItemId: new Types.ObjectId(other.lineItemId), userId: other.c.candidate.sub, scoreMaximum: 10, comment: null, gradingProgress: 'FullyGraded' };
    await SandboxGrade.collection.insertOne({ _id: new Types.ObjectId() as never, key: otherKey, ...fields, scoreGiven: 6, timestamp: new Date(at(40)), updatedAt: new Date() });
    await SandboxScoreHead.create({ _id: otherKey, timestamp: new Date(at(41)) });
    await foldLegacyScoreHeads();
    expect((await other.score({ scoreGiven: 1, timestamp: at(40) })).status, 'older than the kept timestamp').to.equal(400);
    await other.score({ scoreGiven: 7, timestamp: at(42) }).expect(200);
    expect(await getSandboxGrade(other.lineItemId, other.c.candidate.sub)).to.include({ scoreGiven: 7 });
    expect(await SandboxGrade.countDocuments({ key: otherKey })).to.equal(1);
  });

  it('answers 401 to a token whose expiry has passed', async () => {
    const { score } = await setup();
    const token = await issueSandboxAccessTokenForTests([AGS_SCOPES.score]);
    const tokenHash = createHash('sha256').update(token).digest('hex');
    await SandboxAccessToken.updateOne({ _id: tokenHash }, { $set: { expiresAt: new Date(Date.now() - 1000) } });
    const res = await score({ scoreGiven: 1, timestamp: at(50) }, token);
    expect(res.status).to.equal(401);
    expect(res.headers['www-authenticate']).to.match(/invalid_token/);
  });
});
