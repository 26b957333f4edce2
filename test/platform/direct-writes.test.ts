import { expect } from 'chai';
import { Types, type Model } from 'mongoose';
import { bulkUpdateRaw, insertValidated, updateRaw } from '../../src/platform/database/direct';
import { GradeDeliveryModel, GradeDueModel, GradeOutboxModel } from '../../src/grading/outbox.model';
import { SandboxGrade, SandboxScore } from '../../src/sandbox/ags.models';

/**
 * The driver's writes of src/platform/database/direct.ts store what mongoose's stored: the same
 * fields, of the same BSON types (ObjectId, Date, null), defaults and version key on an upsert's
 * insert, timestamps — written once each way with the same update and compared.
 */
const shape = (v: unknown): unknown => {
  if (v === null) return 'null';
  if (v instanceof Date) return 'Date';
  if (v instanceof Types.ObjectId) return 'ObjectId';
  if (Array.isArray(v)) return v.map(shape);
  if (typeof v === 'object') return Object.fromEntries(Object.entries(v as object).filter(([k]) => k !== '_id').sort(([a], [b]) => a.localeCompare(b)).map(([k, x]) => [k, shape(x)]));
  return `${typeof v}:${String(v)}`;
};
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyModel = Model<any>;
const stored = (model: AnyModel, _id: unknown) => model.collection.findOne({ _id: _id as never });
let n = 0;
const ids = (tag: string) => [`direct-${tag}-mongoose-${Date.now()}-${n}`, `direct-${tag}-driver-${Date.now()}-${n++}`];

async function bothWays(model: AnyModel, tag: string, steps: ((id: string) => Record<string, unknown>)[]) {
  const [viaMongoose, viaDriver] = ids(tag);
  for (const [i, step] of steps.entries()) {
    const options = { upsert: i === 0 };
    await model.updateOne({ _id: viaMongoose }, step(viaMongoose), options);
    await updateRaw(model, { _id: viaDriver }, step(viaDriver) as Record<string, Record<string, unknown>>, options);
    // Compared with each document's own id masked (an activityId may be that id).
    const masked = async (id: string) => JSON.stringify(shape(await stored(model, id))).replaceAll(id, '<id>');
    expect(await masked(viaDriver), `${tag}, step ${i + 1}`).to.equal(await masked(viaMongoose));
  }
}

describe('driver writes (direct.ts) store what mongoose stored', () => {
  it('the outbox record of a grade change: upsert with $inc, then a second change (timestamps, defaults, version key)', async () => {
    // (activityId, userSub) is unique: each document its own activity.
    const change = (lineItemUrl?: string) => (id: string) => ({
      $set: { contextId: 'c', iss: 'i', clientId: 'k', deploymentId: 'd', ...(lineItemUrl ? { lineItemUrl } : {}), userName: '', isTestUser: false, scoreGiven: 7, scoreMaximum: 10, activityProgress: 'Completed', gradingProgress: 'FullyGraded', comment: null, changedAt: new Date() },
      $inc: { version: 1 },
      $setOnInsert: { activityId: id, userSub: 'u' },
    });
    await bothWays(GradeOutboxModel, 'outbox', [change(), change('http://lms/lineitems/1')]);
  });

  it('a delivery: the lease upsert, then the outcome', async () => {
    const now = new Date();
    await bothWays(GradeDeliveryModel, 'delivery', [
      () => ({ $set: { activityId: 'a', userSub: 'u', lockedBy: 'o', lockedUntil: now, claimCount: 1 } }),
      () => ({ $set: { activityId: 'a', userSub: 'u', version: 3, changedAt: now, lockedBy: null, lockedUntil: null, state: 'sent', reason: null, attempts: 0, nextAttemptAt: null, lastAttemptAt: now, sentVersion: 3, sentScoreGiven: 5, sentScoreMaximum: 10, sentTimestamp: now, sentAt: now, lineItemUrl: 'http://x' } }),
    ]);
  });

  it('the same delivery writes a group at a time (bulkUpdateRaw: the leases, then the outcomes) store what updateRaw stores', async () => {
    const now = new Date();
    const steps = [
      () => ({ $set: { activityId: 'a', userSub: 'u', lockedBy: 'o', lockedUntil: now, claimCount: 1 } }),
      () => ({ $set: { activityId: 'a', userSub: 'u', version: 3, changedAt: now, lockedBy: null, lockedUntil: null, state: 'sent', reason: null, attempts: 0, nextAttemptAt: null, lastAttemptAt: now, sentVersion: 3, sentScoreGiven: 5, sentScoreMaximum: 10, sentTimestamp: now, sentAt: now, lineItemUrl: 'http://x' } }),
    ];
    const [one, other] = ids('delivery-bulk');
    const [single] = ids('delivery-single');
    for (const [i, step] of steps.entries()) {
      await bulkUpdateRaw(GradeDeliveryModel, [one, other].map((id) => ({ filter: { _id: id }, update: step(), upsert: i === 0 })));
      await updateRaw(GradeDeliveryModel, { _id: single }, step(), { upsert: i === 0 });
      const masked = async (id: string) => JSON.stringify(shape(await stored(GradeDeliveryModel, id))).replaceAll(id, '<id>');
      expect(await masked(one), `step ${i + 1}`).to.equal(await masked(single));
      expect(await masked(other), `step ${i + 1}`).to.equal(await masked(single));
    }
    // Without upsert, a document that is not there is not created.
    const [absent] = ids('delivery-absent');
    await bulkUpdateRaw(GradeDeliveryModel, [{ filter: { _id: absent }, update: steps[1]() }]);
    expect(await stored(GradeDeliveryModel, absent)).to.equal(null);
  });

  it('a queue entry upsert', async () => {
    await bothWays(GradeDueModel, 'due', [() => ({ $set: { activityId: 'a', userSub: 'u', dueAt: new Date() } })]);
  });

  for (const kind of ['write', 'clear', 'keep'] as const) {
    it(`a Sandbox gradebook cell's compare-and-set upsert (${kind}), then a newer score`, async () => {
      const t = Date.now();
      const courseId = new Types.ObjectId();
      const lineItemId = new Types.ObjectId();
      const score = (ts: Date) => (key: string) => {
        const identity = { key, courseId, lineItemId, userId: 'u' };
        const cell = { scoreGiven: kind === 'write' ? 5 : null, scoreMaximum: kind === 'write' ? 10 : null, comment: null, gradingProgress: 'FullyGraded', timestamp: ts, updatedAt: new Date() };
        if (kind === 'write') return { $set: { latestTimestamp: ts, hasCell: true, ...cell }, $setOnInsert: identity };
        if (kind === 'clear') return { $set: { latestTimestamp: ts, ...cell }, $setOnInsert: { ...identity, hasCell: false } };
        return { $set: { latestTimestamp: ts }, $setOnInsert: { ...identity, hasCell: false, ...cell } };
      };
      const [first, second] = [new Date(t), new Date(t + 5)];
      const [viaMongoose, viaDriver] = ids(`cell-${kind}`);
      // Both writes are upserts (as advanceCell's); the second matches by the older latestTimestamp.
      for (const [i, s] of [score(first), score(second)].entries()) {
        await SandboxGrade.updateOne({ _id: viaMongoose, latestTimestamp: { $lt: i ? second : first } }, s(viaMongoose), { upsert: true });
        await updateRaw(SandboxGrade, { _id: viaDriver, latestTimestamp: { $lt: i ? second : first } }, s(viaDriver) as Record<string, Record<string, unknown>>, { upsert: true });
        const [m, d] = [await stored(SandboxGrade, viaMongoose), await stored(SandboxGrade, viaDriver)];
        expect(shape({ ...d, key: 0 }), `step ${i + 1}`).to.deep.equal(shape({ ...m, key: 0 }));
        expect(d?.latestTimestamp).to.deep.equal(i ? second : first);
      }
    });
  }

  it("a Sandbox score's history record: insertValidated as create", async () => {
    const fields = { courseId: new Types.ObjectId(), lineItemId: new Types.ObjectId(), userId: 'u', scoreGiven: 5, scoreMaximum: null, comment: null, activityProgress: 'Completed', gradingProgress: 'FullyGraded', timestamp: new Date(), timestampText: 'x', extensionsJson: null, recordedInGradebook: true, gradebookEffect: 'write', scoringMode: 'canvas', receivedAt: new Date() };
    const viaMongoose = await SandboxScore.create(fields);
    const viaDriver = await insertValidated<{ _id: Types.ObjectId }>(SandboxScore, fields);
    expect(viaDriver._id).to.be.instanceOf(Types.ObjectId);
    expect(shape(await stored(SandboxScore, viaDriver._id))).to.deep.equal(shape(await stored(SandboxScore, viaMongoose._id)));
  });
});
