import { expect } from 'chai';
import { PracticumEntryModel } from '../../src/practicum/practicum-entry.model';
import { decodeHtml } from '../helpers/sandbox-launch';
import { anonymous, buildPracticumCourse, COMPLETE_ENTRY, open, post, type PracticumCourse, type Session } from './practicum-kit';

const AUTOSAVE = '/lti/practicum/entries/autosave';

function autosave(session: Session, body: Record<string, unknown>) {
  return session.agent.post(AUTOSAVE).set('Accept', 'application/json').send({ ltik: session.ltik, ...body });
}

describe('practicum log: autosave of the entry form (JSON)', function () {
  this.timeout(60_000);
  let course: PracticumCourse;
  let a: Session;
  let faculty: Session;
  before(async () => {
    course = await buildPracticumCourse('Autosave hours');
    [a, faculty] = await Promise.all([open(course.candidateA, course.placement), open(course.faculty, course.placement)]);
  });

  it('the candidate form carries the autosave script and an on-device copy key without the ltik', () => {
    expect(a.text).to.include('<script src="/static/js/practicum-autosave.js"></script>');
    const key = /data-autosave-key="([^"]*)"/.exec(a.text)?.[1];
    expect(decodeHtml(key ?? '')).to.equal(`fieldbook-practicum:${course.activityId}:${course.candidateA.sub}:new`);
    expect(key).not.to.include(a.ltik);
    expect(a.text).to.match(/data-autosave-status/);
  });

  it('401 without an LTI session', async () => {
    const res = await anonymous().post(AUTOSAVE).set('Accept', 'application/json').send({ description: 'typed' });
    expect(res.status).to.equal(401);
  });

  it('403 for faculty (only candidates keep drafts)', async () => {
    const res = await autosave(faculty, { description: 'not mine to log' });
    expect(res.status).to.equal(403);
    expect(res.body).to.include({ error: 'role_not_allowed' });
  });

  it('400 with JSON field errors on malformed input, and for a non-JSON body; nothing saved', async () => {
    const before = await PracticumEntryModel.countDocuments({ activityId: course.activityId });
    const bad = await autosave(a, { hours: 'lots', description: 'typed' });
    expect(bad.status).to.equal(400);
    expect(bad.type).to.equal('application/json');
    expect(bad.body.error).to.equal('invalid_form');
    expect(bad.body.details.hours).to.include('Hours must be a number');
    const wrongType = await autosave(a, { description: 42 });
    expect(wrongType.status).to.equal(400);
    const form = await a.agent.post(AUTOSAVE).type('form').set('Accept', 'application/json').send({ ltik: a.ltik, description: 'typed' });
    expect(form.status).to.equal(400);
    expect(form.body.error).to.equal('autosave_json_only');
    expect(await PracticumEntryModel.countDocuments({ activityId: course.activityId })).to.equal(before);
  });

  it('stores incomplete input as a draft; a second autosave updates the same draft', async () => {
    const first = await autosave(a, { hours: '1', description: 'Half a thought', standards: ['4'] });
    expect(first.status, first.text).to.equal(200);
    expect(first.body).to.have.keys('id', 'version', 'savedAt');
    expect(new Date(first.body.savedAt).getTime()).to.be.closeTo(Date.now(), 60_000);
    const stored = await PracticumEntryModel.findById(first.body.id).lean();
    expect(stored).to.include({ status: 'draft', minutes: 60, description: 'Half a thought', candidateSub: course.candidateA.sub, version: first.body.version });
    expect(stored?.standards).to.deep.equal(['4']);

    const second = await autosave(a, { entryId: first.body.id, version: String(first.body.version), hours: '1.5', description: 'Half a thought, now finished.' });
    expect(second.status, second.text).to.equal(200);
    expect(second.body.id).to.equal(first.body.id);
    expect(second.body.version).to.be.greaterThan(first.body.version);
    const updated = await PracticumEntryModel.findById(first.body.id).lean();
    expect(updated).to.include({ status: 'draft', minutes: 90, description: 'Half a thought, now finished.', version: second.body.version });
    expect(await PracticumEntryModel.countDocuments({ activityId: course.activityId, candidateSub: course.candidateA.sub })).to.equal(1);

    const stale = await autosave(a, { entryId: first.body.id, version: String(first.body.version), description: 'from an old tab' });
    expect(stale.status).to.equal(409);
  });

  it('never changes a non-draft entry (409); another candidate’s entry is 404', async () => {
    const submitted = await post(a, '/lti/practicum/entries', { ...COMPLETE_ENTRY, intent: 'submit' });
    expect(submitted.status, submitted.text).to.equal(200);
    const entry = await PracticumEntryModel.findOne({ activityId: course.activityId, candidateSub: course.candidateA.sub, status: 'submitted' }).lean();
    // The form post tells the script which on-device copies the server now has.
    expect(decodeHtml(/data-autosave-clear="([^"]*)"/.exec(submitted.text)?.[1] ?? '')).to.include(`:${String(entry!._id)}`);
    const res = await autosave(a, { entryId: String(entry!._id), version: String(entry!.version), description: 'sneaky late edit' });
    expect(res.status).to.equal(409);
    expect(res.body.error).to.equal('practicum_entry_not_draft');
    const after = await PracticumEntryModel.findById(entry!._id).lean();
    expect(after).to.include({ status: 'submitted', version: entry!.version, description: COMPLETE_ENTRY.description });

    const b = await open(course.candidateB, course.placement);
    const other = await autosave(b, { entryId: String(entry!._id), description: 'hijack' });
    expect(other.status).to.equal(404);
  });
});
