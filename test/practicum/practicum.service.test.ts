import { expect } from 'chai';
import mongoose, { Types } from 'mongoose';
import { ActivityModel, type Activity } from '../../src/activities/activity.model';
import type { Caller } from '../../src/lti/caller';
import { PracticumAuditModel } from '../../src/practicum/practicum-audit.model';
import { PracticumEntryModel } from '../../src/practicum/practicum-entry.model';
import { PracticumProgressModel } from '../../src/practicum/practicum-progress.model';
import { defaultSettings } from '../../src/practicum/practicum-settings';
import { entryFormSchema } from '../../src/practicum/practicum.schemas';
import { saveDraft, saveEntry, transitionEntries, type PracticumContext } from '../../src/practicum/practicum.service';
import { progressId, recomputeProgress, repairPendingProgress, settleItems, withCandidateLock } from '../../src/practicum/progress-store';

function buildCaller(overrides: Partial<Caller> = {}): Caller {
  const suffix = Math.random().toString(36).slice(2, 8);
  return {
    iss: 'https://lms.example.edu', clientId: 'client', deploymentId: 'dep', sub: `cand-${suffix}`, name: `Cand ${suffix}`, email: '', role: 'candidate', roles: ['candidate'],
    isTestUser: false, menteeSubs: [], contextId: 'ctx-1', contextTitle: 'EDL', resourceLinkId: 'rl', resourceTitle: 'Log', messageType: 'LtiResourceLinkRequest', custom: {}, platformName: 'LMS',
    ...overrides,
  };
}

async function buildActivity(): Promise<Activity> {
  const settings = { ...defaultSettings('custom'), requiredHours: 10 };
  const doc = await ActivityModel.create({ iss: 'https://lms.example.edu', clientId: 'client', deploymentId: 'dep', contextId: 'ctx-1', type: 'practicum-log', title: 'Service log', pointsPossible: 10, createdBy: 'fac', settings });
  return doc.toObject() as Activity;
}

const form = (values: Record<string, unknown>) => entryFormSchema.parse(values);
const complete = { date: '2026-10-05', hours: '3', siteName: 'Lincoln', gradeBand: 'elementary', category: 'other', standards: ['1'], description: 'Led the data team meeting.' };

describe('practicum service: concurrency and repair', () => {
  let activity: Activity;
  let candidate: Caller;
  let ctx: PracticumContext;
  let facultyCtx: PracticumContext;
  before(async () => {
    activity = await buildActivity();
    candidate = buildCaller();
    ctx = { activity, actor: { kind: 'lti', caller: candidate }, role: 'candidate', today: '2026-10-10' };
    const faculty = buildCaller({ role: 'faculty', roles: ['faculty'], sub: 'fac' });
    facultyCtx = { activity, actor: { kind: 'lti', caller: faculty }, role: 'faculty', today: '2026-10-10' };
  });

  it('two reviewers acting on the same version: exactly one wins, the other gets a stale-version failure', async () => {
    const entry = await saveDraft(ctx, form(complete));
    const submitted = await transitionEntries(ctx, 'submit', [{ id: String(entry._id), version: entry.version }]);
    expect(submitted.done).to.have.length(1);
    const version = entry.version + 1;
    const [first, second] = await Promise.all([
      transitionEntries(facultyCtx, 'approve', [{ id: String(entry._id), version }]),
      transitionEntries(facultyCtx, 'return', [{ id: String(entry._id), version }], 'Needs detail'),
    ]);
    expect(first.done.length + second.done.length).to.equal(1);
    expect([...first.failed, ...second.failed].map((f) => f.reason)).to.deep.equal(['stale']);
    const audits = await PracticumAuditModel.countDocuments({ entryId: entry._id });
    expect(audits).to.equal(2);
  });

  it('the approval queues a completion grade change through onGradeChange, once per change', async () => {
    const seen: (number | null)[] = [];
    const gradeCtx = { ...facultyCtx, onGradeChange: async (c: { scoreGiven: number | null }) => void seen.push(c.scoreGiven) };
    const entry = await saveDraft(ctx, form({ ...complete, hours: '5', date: '2026-10-06' }));
    await transitionEntries(ctx, 'submit', [{ id: String(entry._id), version: entry.version }]);
    await transitionEntries(gradeCtx, 'approve', [{ id: String(entry._id), version: entry.version + 1 }]);
    expect(seen).to.have.length(1);
    expect(seen[0]).to.be.greaterThan(0).and.at.most(10);
  });

  it('recomputeProgress repairs a progress document left stale by a crash between the entry write and the $inc', async () => {
    const entry = await saveDraft(ctx, form({ ...complete, date: '2026-10-07' }));
    // Simulate the crash: the entry moved and kept its pending flag, the progress document never heard of it.
    await PracticumEntryModel.updateOne({ _id: entry._id }, { $set: { status: 'submitted', progressPending: true, lastTransition: { from: 'draft', to: 'submitted', actor: { kind: 'lti', sub: candidate.sub, name: candidate.name, role: 'candidate' }, comment: '', at: new Date() } }, $inc: { version: 1 } });
    await PracticumProgressModel.updateOne({ activityId: activity._id, candidateSub: candidate.sub }, { $inc: { 'minutes.approved.total': 999 } });
    await recomputeProgress(activity._id, candidate.sub);
    const entries = await PracticumEntryModel.find({ activityId: activity._id, candidateSub: candidate.sub }).lean();
    const expected: Record<string, number> = {};
    for (const e of entries) expected[e.status] = (expected[e.status] ?? 0) + e.minutes;
    const progress = await PracticumProgressModel.findOne({ activityId: activity._id, candidateSub: candidate.sub }).lean();
    const minutes = progress?.minutes as Record<string, { total: number }>;
    for (const [status, total] of Object.entries(expected)) expect(minutes[status].total, status).to.equal(total);
    expect(progress?.recomputedAt).to.be.instanceOf(Date);
    expect((await PracticumEntryModel.findById(entry._id).lean())?.progressPending).to.equal(false);
    expect(await PracticumAuditModel.countDocuments({ entryId: entry._id, to: 'submitted' })).to.equal(1);
    // Idempotent: running it again changes nothing.
    await recomputeProgress(activity._id, candidate.sub);
    const again = await PracticumProgressModel.findOne({ activityId: activity._id, candidateSub: candidate.sub }).lean();
    expect(again?.minutes).to.deep.equal(progress?.minutes);
  });

  it('repairPendingProgress finds only flags older than the grace period', async () => {
    const entry = await saveDraft(ctx, form({ ...complete, date: '2026-10-08' }));
    await PracticumEntryModel.collection.updateOne({ _id: new Types.ObjectId(String(entry._id)) }, { $set: { progressPending: true, updatedAt: new Date(Date.now() - 10 * 60_000) } });
    expect(await repairPendingProgress(60_000)).to.be.at.least(1);
    expect((await PracticumEntryModel.findById(entry._id).lean())?.progressPending).to.equal(false);
  });
  it('a version claim left by a crashed writer blocks others only until its lease expires', async () => {
    const entry = await saveDraft(ctx, form({ ...complete, date: '2026-10-09' }));
    const claims = mongoose.connection.collection<{ _id: string; createdAt: Date }>('practicum_entry_claims');
    await claims.insertOne({ _id: `${String(entry._id)}:${entry.version}`, createdAt: new Date() });
    const blocked = await transitionEntries(ctx, 'submit', [{ id: String(entry._id), version: entry.version }]);
    expect(blocked.failed.map((f) => f.reason)).to.deep.equal(['stale']);
    await claims.updateOne({ _id: `${String(entry._id)}:${entry.version}` }, { $set: { createdAt: new Date(Date.now() - 60_000) } });
    const taken = await transitionEntries(ctx, 'submit', [{ id: String(entry._id), version: entry.version }]);
    expect(taken.done).to.deep.equal([String(entry._id)]);
    expect(await claims.countDocuments({ _id: `${String(entry._id)}:${entry.version}` })).to.equal(0);
  });

  it('two saves of the same draft version at once (two windows, two instances): one wins, the other is a conflict', async () => {
    const entry = await saveDraft(ctx, form({ ...complete, date: '2026-10-11' }));
    const edit = (hours: string) => saveDraft(ctx, form({ ...complete, date: '2026-10-11', hours, entryId: String(entry._id), version: String(entry.version) }));
    const results = await Promise.allSettled([edit('4'), edit('5')]);
    expect(results.filter((r) => r.status === 'fulfilled')).to.have.length(1);
    const [lost] = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    expect(lost.reason).to.include({ id: 'practicum_entry_changed' });
    const stored = (await PracticumEntryModel.findOne({ _id: entry._id }).lean())!;
    expect(stored.version).to.equal(entry.version + 1);
    const progress = await PracticumProgressModel.findOne({ _id: progressId(activity._id, candidate.sub) }).lean();
    expect((progress as { items: Record<string, { version: number; minutes: number }> }).items[String(entry._id)]).to.include({ version: stored.version, minutes: stored.minutes });
  });

  it('a stale page cannot save over a newer version, and the progress item keeps the newer one', async () => {
    const entry = await saveDraft(ctx, form({ ...complete, date: '2026-10-12' }));
    const newer = await saveDraft(ctx, form({ ...complete, date: '2026-10-12', hours: '6', entryId: String(entry._id), version: String(entry.version) }));
    let error: unknown;
    await saveDraft(ctx, form({ ...complete, date: '2026-10-12', hours: '1', entryId: String(entry._id), version: String(entry.version) })).catch((err: unknown) => (error = err));
    expect(error).to.include({ id: 'practicum_entry_changed' });
    const progress = await PracticumProgressModel.findOne({ _id: progressId(activity._id, candidate.sub) }).lean();
    expect((progress as { items: Record<string, { version: number; minutes: number }> }).items[String(entry._id)]).to.include({ version: newer.version, minutes: 360 });
    // A settle handed the older version (a request whose write was overtaken) reads the entry instead.
    const ref = { activityId: activity._id, iss: activity.iss, contextId: activity.contextId ?? null, candidateSub: candidate.sub, candidateName: candidate.name };
    const { items } = await withCandidateLock(activity._id, candidate.sub, () => settleItems(ref, [entry._id], { written: [entry] }));
    expect(items[String(entry._id)]).to.include({ version: newer.version, minutes: 360 });
  });

  it('saves of one candidate waiting for the same turn of the lock share it: one progress write answers all, and the document equals the entries', async () => {
    const other = buildCaller();
    const otherCtx: PracticumContext = { ...ctx, actor: { kind: 'lti', caller: other } };
    const lockId = `progress:${progressId(activity._id, other.sub)}`;
    const locks = mongoose.connection.collection<{ _id: string }>('practicum_locks');
    // Someone holds the candidate's lock while three saves arrive (a deadline: the candidate's tabs).
    let release!: () => void;
    let held!: () => void;
    const isHeld = new Promise<void>((resolve) => (held = resolve));
    const holder = withCandidateLock(activity._id, other.sub, () => {
      held();
      return new Promise<void>((resolve) => (release = resolve));
    });
    await isHeld;
    const saves = [1, 2, 3].map((n) => saveEntry(otherCtx, form({ ...complete, date: `2026-10-0${n}`, hours: String(n) }), { submit: true }));
    // Wait until all three have written their entries and queue for the lock.
    for (let i = 0; i < 100 && (await PracticumEntryModel.countDocuments({ activityId: activity._id, candidateSub: other.sub })) < 3; i++) await new Promise((r) => setTimeout(r, 20));
    await new Promise((r) => setTimeout(r, 50));
    const replaces: string[] = [];
    const watch = (_collection: string, method: string, query: unknown) => {
      if (_collection === 'practicum_progress' && method === 'replaceOne') replaces.push(JSON.stringify(query));
    };
    mongoose.set('debug', watch);
    try {
      release();
      await holder;
      const results = await Promise.all(saves);
      const ids = results.map((r) => String(r.entry._id)).sort();
      // Every answer shows all three entries: one settle, not three turns each seeing what came before.
      for (const r of results) expect(Object.keys(r.progressItems ?? {}).sort()).to.deep.equal(ids);
      // ...and each answer has every entry of that turn as settled, so its page reads none of them again.
      for (const r of results) {
        expect((r.settledEntries ?? []).map((e) => String(e._id)).sort()).to.deep.equal(ids);
        for (const e of r.settledEntries ?? []) expect(r.progressItems![String(e._id)].version).to.equal(e.version);
      }
      expect(replaces).to.have.length(1);
    } finally {
      mongoose.set('debug', false);
    }
    const progress = await PracticumProgressModel.findOne({ _id: progressId(activity._id, other.sub) }).lean();
    expect((progress as { minutes: { submitted: { total: number } } }).minutes.submitted.total).to.equal(360);
    expect(await locks.countDocuments({ _id: lockId })).to.equal(0);
  });

  it('the candidate lock is released after a save', async () => {
    await saveDraft(ctx, form({ ...complete, date: '2026-10-13' }));
    const locks = mongoose.connection.collection<{ _id: string }>('practicum_locks');
    expect(await locks.countDocuments({ _id: `progress:${progressId(activity._id, candidate.sub)}` })).to.equal(0);
  });
});
