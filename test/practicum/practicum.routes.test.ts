import { expect } from 'chai';
import { Types } from 'mongoose';
import { ActivityModel } from '../../src/activities/activity.model';
import { PracticumAuditModel } from '../../src/practicum/practicum-audit.model';
import { PracticumEntryKeyModel } from '../../src/practicum/practicum-entry-key.model';
import { PracticumEntryModel } from '../../src/practicum/practicum-entry.model';
import { PracticumProgressModel } from '../../src/practicum/practicum-progress.model';
import { PracticumSiteModel } from '../../src/practicum/practicum-site.model';
import { decodeHtml } from '../helpers/sandbox-launch';
import { anonymous, buildPracticumCourse, COMPLETE_ENTRY, formValues, get, open, post, type PracticumCourse, type Session } from './practicum-kit';

async function entriesOf(course: PracticumCourse, sub: string) {
  return PracticumEntryModel.find({ activityId: course.activityId, candidateSub: sub }).sort({ createdAt: 1 }).lean();
}
const key = (e: { _id: unknown; version: number }) => `${String(e._id)}:${e.version}`;

/** A's complete entry, saved and submitted; returns it. */
/** The remembered sites the entry form offers (its "Reuse a site" list). */
function rememberedSites(html: string): { id: string; label: string }[] {
  const select = /<select id="siteId"[^>]*>([\s\S]*?)<\/select>/.exec(html)?.[1] ?? '';
  return [...select.matchAll(/<option value="([a-f0-9]{24})"[^>]*>([^<]*)<\/option>/g)].map((m) => ({ id: m[1], label: decodeHtml(m[2]) }));
}

async function submittedEntryOf(session: Session, course: PracticumCourse, overrides: Record<string, string | string[]> = {}) {
  const res = await post(session, '/lti/practicum/entries', { ...COMPLETE_ENTRY, ...overrides, intent: 'submit' });
  expect(res.status, res.text).to.equal(200);
  const all = await entriesOf(course, course.candidateA.sub);
  return all[all.length - 1];
}

describe('practicum log: candidate entries', () => {
  let course: PracticumCourse;
  let a: Session;
  let b: Session;
  before(async () => {
    course = await buildPracticumCourse();
    [a, b] = await Promise.all([open(course.candidateA, course.placement), open(course.candidateB, course.placement)]);
  });

  it('the placement stored the rule-pack defaults, and the candidate launch shows the practicum view with progress bars', async () => {
    const activity = await ActivityModel.findById(course.activityId).lean();
    expect(activity?.settings).to.include({ rulePackId: 'nelp-building', requiredHours: 300, gradingMode: 'completion' });
    expect(a.text).to.match(/data-testid="practicum-panel" data-view="candidate"/);
    expect(a.text).to.match(/role="progressbar" aria-labelledby="bar-total" aria-valuenow="0" aria-valuemin="0" aria-valuemax="300"/);
    expect(decodeHtml(a.text)).to.include('Program defaults based on NELP 2018 building-level standard 8');
  });

  it('401 without an LTI session', async () => {
    const res = await anonymous().post('/lti/practicum/entries').type('form').send(COMPLETE_ENTRY);
    expect(res.status).to.equal(401);
    const page = await anonymous().get('/lti/practicum');
    expect(page.status).to.equal(401);
  });

  it('saves an incomplete draft (nothing typed is lost) and tracks it in the progress document', async () => {
    const res = await post(a, '/lti/practicum/entries', { hours: '1.5', description: 'Half-written thought', intent: 'draft' });
    expect(res.status, res.text).to.equal(200);
    const [draft] = await entriesOf(course, course.candidateA.sub);
    expect(draft).to.include({ status: 'draft', minutes: 90, description: 'Half-written thought', progressPending: false });
    const progress = await PracticumProgressModel.findOne({ activityId: course.activityId, candidateSub: course.candidateA.sub }).lean();
    expect(progress?.minutes).to.deep.equal({ draft: { total: 90 } });
    expect(progress?.entries).to.deep.equal({ draft: 1 });
  });

  it('400 on malformed input: re-renders everything typed, saves nothing', async () => {
    const before = await PracticumEntryModel.countDocuments({ activityId: course.activityId });
    const res = await post(a, '/lti/practicum/entries', { ...COMPLETE_ENTRY, hours: 'lots', intent: 'draft' });
    expect(res.status).to.equal(400);
    expect(res.text).to.include('Hours must be a number');
    const kept = formValues(res.text);
    expect(kept).to.include({ hours: 'lots', siteName: 'Lincoln Elementary', date: '2026-10-05' });
    expect(decodeHtml(res.text)).to.include(COMPLETE_ENTRY.description);
    expect(await PracticumEntryModel.countDocuments({ activityId: course.activityId })).to.equal(before);
  });

  it('“save and submit” of an incomplete new entry is refused with field errors and creates nothing (400)', async () => {
    const before = await PracticumEntryModel.countDocuments({ activityId: course.activityId });
    const res = await post(a, '/lti/practicum/entries', { hours: '1', siteName: 'Kept Site', intent: 'submit' });
    expect(res.status).to.equal(400);
    expect(res.text).to.include('Add the date.');
    expect(res.text).to.include('Tag at least one standard');
    expect(formValues(res.text)).to.include({ entryId: '', siteName: 'Kept Site' });
    const empty = await post(a, '/lti/practicum/entries', { intent: 'submit' });
    expect(empty.status).to.equal(400);
    expect(empty.text).to.include('Add the date.');
    expect(await PracticumEntryModel.countDocuments({ activityId: course.activityId })).to.equal(before);
  });

  it('submits a complete entry: status, audit trail, progress moved, site remembered', async () => {
    const entry = await submittedEntryOf(a, course);
    expect(entry).to.include({ status: 'submitted', minutes: 150, version: 2 });
    const audit = await PracticumAuditModel.find({ entryId: entry._id }).lean();
    expect(audit.map((x) => [x.from, x.to, x.actor?.kind, x.actor?.sub, x.actor?.role])).to.deep.equal([['draft', 'submitted', 'lti', course.candidateA.sub, 'candidate']]);
    const progress = await PracticumProgressModel.findOne({ activityId: course.activityId, candidateSub: course.candidateA.sub }).lean();
    const minutes = progress?.minutes as Record<string, { total: number; category?: Record<string, number>; population?: Record<string, number> }>;
    expect(minutes.submitted.total).to.equal(150);
    expect(minutes.submitted.category).to.deep.equal({ 'observation-feedback': 150 });
    expect(minutes.submitted.population).to.deep.equal({ 'special-education': 150, 'english-learners': 150 });
    const sites = rememberedSites((await get(a, '/lti/practicum')).text);
    expect(sites.filter((s) => s.label === 'Lincoln Elementary, District 7')).to.have.length(1);
  });

  it('submits several drafts at once, with per-entry errors for incomplete ones', async () => {
    await post(a, '/lti/practicum/entries', { ...COMPLETE_ENTRY, date: '2026-10-06', intent: 'draft' });
    const drafts = (await entriesOf(course, course.candidateA.sub)).filter((e) => e.status === 'draft');
    const res = await post(a, '/lti/practicum/entries/submit', { entries: drafts.map(key) });
    expect(res.status).to.equal(200);
    expect(res.text).to.match(/1 entry submitted; \d could not be/);
    expect(res.text).to.include('data-testid="batch-failures"');
    const after = await entriesOf(course, course.candidateA.sub);
    expect(after.find((e) => e.date === '2026-10-06')?.status).to.equal('submitted');
  });

  it('reuses a remembered site', async () => {
    const site = rememberedSites((await get(a, '/lti/practicum')).text).find((s) => s.label === 'Lincoln Elementary, District 7');
    expect(site, 'the site is offered').to.not.equal(undefined);
    const res = await post(a, '/lti/practicum/entries', { siteId: site!.id, date: '2026-10-07', hours: '1', intent: 'draft' });
    expect(res.status).to.equal(200);
    const last = (await entriesOf(course, course.candidateA.sub)).pop();
    expect(last?.site).to.include({ name: 'Lincoln Elementary', district: 'District 7', gradeBand: 'elementary' });
  });

  it('offers a site remembered by an earlier version (practicum_sites) before the first entry, and reuses it', async () => {
    const fresh = await buildPracticumCourse('Remembered sites');
    const session = await open(fresh.candidateA, fresh.placement);
    const activity = (await ActivityModel.findOne({ _id: fresh.activityId }).lean())!;
    const legacy = await PracticumSiteModel.create({ iss: activity.iss, candidateSub: fresh.candidateA.sub, key: 'oak middle|district 9', name: 'Oak Middle', district: 'District 9', gradeBand: 'middle', populations: [] });
    const offered = rememberedSites((await get(session, '/lti/practicum')).text);
    expect(offered).to.deep.equal([{ id: String(legacy._id), label: 'Oak Middle, District 9' }]);
    const res = await post(session, '/lti/practicum/entries', { siteId: String(legacy._id), date: '2026-10-07', hours: '1', intent: 'draft' });
    expect(res.status).to.equal(200);
    const [entry] = await entriesOf(fresh, fresh.candidateA.sub);
    expect(entry.site).to.include({ name: 'Oak Middle', district: 'District 9', gradeBand: 'middle' });
    // From then on the site is offered from the candidate's entries (once).
    expect(rememberedSites(res.text).map((s) => s.label)).to.deep.equal(['Oak Middle, District 9']);
  });

  it('candidate B cannot read or change A’s entries (404 / 403), and lists only their own', async () => {
    const [entryOfA] = await entriesOf(course, course.candidateA.sub);
    const edit = await post(b, '/lti/practicum/entries', { entryId: String(entryOfA._id), description: 'hijack' });
    expect(edit.status).to.equal(404);
    const submit = await post(b, '/lti/practicum/entries/submit', { entries: [key(entryOfA)] });
    expect(submit.status).to.equal(403);
    const read = await get(b, `/lti/practicum/entries/${String(entryOfA._id)}`);
    expect(read.status).to.equal(404);
    const list = await get(b, '/lti/practicum');
    expect(list.status).to.equal(200);
    expect(list.text).not.to.include(String(entryOfA._id));
    expect((await PracticumEntryModel.findById(entryOfA._id).lean())?.description).to.equal(entryOfA.description);
  });

  it('403 for candidates on review actions; 400 on a malformed batch', async () => {
    const [entryOfA] = await entriesOf(course, course.candidateA.sub);
    expect((await post(a, '/lti/practicum/entries/verify', { entries: [key(entryOfA)] })).status).to.equal(403);
    expect((await post(a, '/lti/practicum/entries/approve', { entries: [key(entryOfA)] })).status).to.equal(403);
    expect((await post(a, '/lti/practicum/entries/submit', { entries: ['not-an-id'] })).status).to.equal(400);
    expect((await post(a, '/lti/practicum/entries/submit', {})).status).to.equal(400);
  });

  it('an already submitted entry can no longer be edited (409)', async () => {
    const submitted = (await entriesOf(course, course.candidateA.sub)).find((e) => e.status === 'submitted')!;
    const res = await post(a, '/lti/practicum/entries', { entryId: String(submitted._id), version: String(submitted.version), description: 'late change' });
    expect(res.status).to.equal(409);
  });
});

describe('practicum log: no half-made or duplicate entries', () => {
  let course: PracticumCourse;
  let a: Session;

  before(async () => {
    course = await buildPracticumCourse('No duplicates');
    a = await open(course.candidateA, course.placement);
  });

  it('“save and submit” of an incomplete draft keeps the draft with the changes and names what is missing (400)', async () => {
    const draft = await post(a, '/lti/practicum/entries', { hours: '1', siteName: 'Draft Site', intent: 'draft' });
    expect(draft.status).to.equal(200);
    const saved = (await entriesOf(course, course.candidateA.sub)).find((e) => e.site?.name === 'Draft Site');
    const res = await post(a, '/lti/practicum/entries', { entryId: String(saved!._id), version: String(saved!.version), hours: '2', siteName: 'Draft Site', intent: 'submit' });
    expect(res.status).to.equal(400);
    expect(res.text).to.include('Add the date.');
    const after = (await entriesOf(course, course.candidateA.sub)).find((e) => String(e._id) === String(saved!._id));
    expect(after).to.include({ status: 'draft', minutes: 120 });
  });

  it('the same form sent twice (browser Back, then submit again) stores one entry', async () => {
    const before = await PracticumEntryModel.countDocuments({ activityId: course.activityId, candidateSub: course.candidateA.sub });
    const page = await get(a, '/lti/practicum');
    const formToken = formValues(page.text).formToken;
    expect(formToken).to.match(/^[A-Za-z0-9_-]{16,64}$/);
    const first = await post(a, '/lti/practicum/entries', { ...COMPLETE_ENTRY, formToken, intent: 'submit' });
    expect(first.status, first.text).to.equal(200);
    const again = await post(a, '/lti/practicum/entries', { ...COMPLETE_ENTRY, formToken, intent: 'submit' });
    expect(again.status, again.text).to.equal(200);
    expect(decodeHtml(again.text)).to.include('already saved and submitted');
    expect(await PracticumEntryModel.countDocuments({ activityId: course.activityId, candidateSub: course.candidateA.sub })).to.equal(before + 1);
    // Two drafts from one form sent at once: still one entry.
    const token2 = formValues((await get(a, '/lti/practicum')).text).formToken;
    const both = await Promise.all([1, 2].map(() => post(a, '/lti/practicum/entries', { siteName: 'Twice Site', formToken: token2, intent: 'draft' })));
    expect(both.map((r) => r.status)).to.include(200);
    expect((await entriesOf(course, course.candidateA.sub)).filter((e) => e.site?.name === 'Twice Site')).to.have.length(1);
  });

  it('a form whose first post was cut off after reserving its token (database lost) is saved when sent again, once', async () => {
    const token = formValues((await get(a, '/lti/practicum')).text).formToken;
    // What the cut-off post left: the token reserved for an entry id, and no entry.
    const reservedId = new Types.ObjectId();
    await PracticumEntryKeyModel.create({ _id: `practicum-entry:${JSON.stringify([course.activityId, course.candidateA.sub, token])}`, entryId: String(reservedId), createdAt: new Date() });
    const again = await post(a, '/lti/practicum/entries', { ...COMPLETE_ENTRY, siteName: 'Cut Off Site', formToken: token, intent: 'submit' });
    expect(again.status, again.text).to.equal(200);
    const saved = (await entriesOf(course, course.candidateA.sub)).filter((e) => e.site?.name === 'Cut Off Site');
    expect(saved).to.have.length(1);
    expect(String(saved[0]._id)).to.equal(String(reservedId));
    expect(saved[0].status).to.equal('submitted');
    expect((await post(a, '/lti/practicum/entries', { ...COMPLETE_ENTRY, siteName: 'Cut Off Site', formToken: token, intent: 'submit' })).status).to.equal(200);
    expect((await entriesOf(course, course.candidateA.sub)).filter((e) => e.site?.name === 'Cut Off Site')).to.have.length(1);
  });
});
