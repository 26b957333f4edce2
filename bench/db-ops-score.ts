/**
 * Counts the Sandbox LMS's database operations for one AGS score POST (POST <lineitem>/scores), by
 * collection and method, warm: the token, line item and learner have already been used by a first
 * score. Counted: a later score for the same learner (the form scenario), and a first score for
 * another learner on another line item (the grade burst: one score per learner and assignment).
 * "(scan)" marks an operation the embedded FerretDB answers by reading the whole collection (a
 * filter without an `_id` equality; `{ _id: { $in } }` scans too).
 *
 *   npx mocha --no-config --require tsx/cjs --require test/helpers/root-hooks.ts bench/db-ops-score.ts
 */
import request from 'supertest';
import { addSandboxPerson, AGS_SCOPES, createSandboxCourse, createSandboxLineItem, issueSandboxAccessTokenForTests } from '../src/sandbox';
import { testServer } from '../test/helpers/test-server';
import { counted } from './lib/db-ops';

describe('database operations per Sandbox score (bench)', function () {
  this.timeout(60_000);
  it('counts', async () => {
    const suffix = Math.random().toString(36).slice(2, 8);
    const course = await createSandboxCourse({ title: `Score ops ${suffix}`, label: `SOPS-${suffix}` });
    const [first, second] = [await addSandboxPerson(course.id, { name: 'Ops One', roles: 'candidate' }), await addSandboxPerson(course.id, { name: 'Ops Two', roles: 'candidate' })];
    const [itemA, itemB] = [await createSandboxLineItem(course.id, { label: 'A', scoreMaximum: 10 }), await createSandboxLineItem(course.id, { label: 'B', scoreMaximum: 10 })];
    const token = await issueSandboxAccessTokenForTests([AGS_SCOPES.score]);
    const api = request(testServer().baseUrl);
    let clock = Date.now();
    const post = async (lineItemId: string, userId: string) => {
      const res = await api
        .post(`/sandbox/ags/${course.id}/lineitems/${lineItemId}/scores`)
        .set('Authorization', `Bearer ${token}`)
        .set('Content-Type', 'application/vnd.ims.lis.v1.score+json')
        .send(JSON.stringify({ userId, scoreGiven: 7, scoreMaximum: 10, activityProgress: 'Completed', gradingProgress: 'FullyGraded', timestamp: new Date((clock += 1000)).toISOString() }));
      if (res.status !== 200) throw new Error(`score answered ${res.status}: ${res.text}`);
    };
    await post(itemA._id.toHexString(), first.sub);
    await post(itemB._id.toHexString(), first.sub);
    await post(itemA._id.toHexString(), second.sub);
    await counted('later score (same learner and line item)', () => post(itemA._id.toHexString(), first.sub));
    await counted('first score (learner and line item seen before, not together)', () => post(itemB._id.toHexString(), second.sub));
  });
});
