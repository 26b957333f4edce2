/**
 * Counts the database operations of one practicum "Save and submit", a draft save and the
 * autosaves of a draft by a launched candidate (warm: a first submit runs before the counted one), by collection and
 * method; "(scan)" marks an operation the embedded FerretDB answers by reading the whole
 * collection (a filter without an `_id` equality; see bench/lib/db-ops.ts).
 *
 *   npx mocha --no-config --require tsx/cjs --require test/helpers/root-hooks.ts bench/db-ops-submit.ts
 */
import { addSandboxPerson, createSandboxCourse } from '../src/sandbox';
import { placeActivity } from '../test/helpers/activity-kit';
import { COMPLETE_ENTRY, open, post } from '../test/practicum/practicum-kit';
import { counted } from './lib/db-ops';

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
