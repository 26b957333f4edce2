/**
 * Counts the database operations of one practicum "Save and submit", a draft save and the
 * autosaves of a draft by a launched candidate (warm: a first submit runs before the counted one), by collection and
 * method; "(scan)" marks an operation the embedded FerretDB answers by reading the whole
 * collection (any filter other than exactly { _id }).
 *
 *   npx mocha --no-config --require tsx/cjs --require test/helpers/root-hooks.ts bench/db-ops-submit.ts
 */
import mongoose from 'mongoose';
import { addSandboxPerson, createSandboxCourse } from '../src/sandbox';
import { placeActivity } from '../test/helpers/activity-kit';
import { COMPLETE_ENTRY, open, post } from '../test/practicum/practicum-kit';

function scans(method: string, filter: unknown): boolean {
  if (/^insert/.test(method)) return false;
  if (!filter || typeof filter !== 'object') return true;
  const keys = Object.keys(filter);
  return !(keys.length === 1 && keys[0] === '_id' && ['string', 'object'].includes(typeof (filter as { _id: unknown })._id) && !((filter as { _id: Record<string, unknown> })._id as { $in?: unknown })?.$in);
}

async function counted(label: string, work: () => Promise<unknown>): Promise<void> {
  const ops: string[] = [];
  mongoose.set('debug', (collection: string, method: string, filter: unknown) => {
    ops.push(`${collection}.${method}${scans(method, filter) ? ' (scan)' : ''}`);
  });
  try {
    await work();
  } finally {
    mongoose.set('debug', false);
  }
  process.stdout.write(`${label}: ${ops.length} ops (${ops.filter((o) => o.endsWith('(scan)')).length} scans)\n  ${ops.join('\n  ')}\n`);
}

describe('database operations per practicum submit (bench)', function () {
  this.timeout(60_000);
  it('counts', async () => {
    const suffix = Math.random().toString(36).slice(2, 8);
    const course = await createSandboxCourse({ title: `Ops ${suffix}`, label: `OPS-${suffix}` });
    const faculty = await addSandboxPerson(course.id, { name: 'Dr. Ops', roles: 'faculty' });
    const placed = await placeActivity({ courseId: course.id, facultyId: faculty.id, title: `Ops hours ${suffix}`, points: 10 });
    const candidate = await addSandboxPerson(course.id, { name: `Ops Candidate ${suffix}`, roles: 'candidate' });
    const session = await open(candidate, placed);
    await post(session, '/lti/practicum/entries', { ...COMPLETE_ENTRY, date: '2026-10-01', formToken: `ops-warm-${suffix}-abcdef`, intent: 'submit' });
    await counted('submit', () => post(session, '/lti/practicum/entries', { ...COMPLETE_ENTRY, date: '2026-10-02', formToken: `ops-count-${suffix}-abcdef`, intent: 'submit' }));
    await counted('draft save', () => post(session, '/lti/practicum/entries', { ...COMPLETE_ENTRY, date: '2026-10-03', formToken: `ops-draft-${suffix}-abcdef`, intent: 'draft' }));
    // The autosave script posts the form as JSON: first a new draft, then the same draft again.
    const autosave = (body: Record<string, unknown>) => session.agent.post('/lti/practicum/entries/autosave').set('Accept', 'application/json').send({ ltik: session.ltik, ...body });
    const typed = { ...COMPLETE_ENTRY, date: '2026-10-04', formToken: `ops-auto-${suffix}-abcdef` };
    let draft: { id: string; version: number } = { id: '', version: 0 };
    await counted('autosave (new draft)', async () => (draft = (await autosave(typed)).body));
    await counted('autosave (same draft)', () => autosave({ ...typed, entryId: draft.id, version: draft.version, description: `${typed.description} More.` }));
  });
});
