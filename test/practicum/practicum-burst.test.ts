import { expect } from 'chai';
import { PracticumEntryModel } from '../../src/practicum/practicum-entry.model';
import { PracticumProgressModel } from '../../src/practicum/practicum-progress.model';
import { progressId } from '../../src/practicum/progress-store';
import { addSandboxPerson, createSandboxCourse } from '../../src/sandbox';
import { placeActivity } from '../helpers/activity-kit';
import { COMPLETE_ENTRY, open, post, type Session } from './practicum-kit';

const CANDIDATES = 40;
const SUBMITS_EACH = 4;

/**
 * A class at a deadline, bounded for CI: 40 candidates each submitting 4 entries and autosaving a
 * fifth, all at once (200 requests). Every request answers 200, every entry is stored once with the status asked
 * for, and every progress document equals what its entries say.
 */
describe('practicum log: a deadline burst loses nothing', function () {
  this.timeout(180_000);
  let activityId: string;
  const people: { sub: string; session: Session }[] = [];

  before(async () => {
    const suffix = Math.random().toString(36).slice(2, 8);
    const course = await createSandboxCourse({ title: `Deadline ${suffix}`, label: `DL-${suffix}` });
    const faculty = await addSandboxPerson(course.id, { name: 'Dr. Deadline', roles: 'faculty' });
    const placed = await placeActivity({ courseId: course.id, facultyId: faculty.id, title: `Deadline hours ${suffix}`, points: 10 });
    activityId = placed.custom.activity_id;
    const candidates = await Promise.all(Array.from({ length: CANDIDATES }, (_, i) => addSandboxPerson(course.id, { name: `Burst Candidate ${i} ${suffix}`, roles: 'candidate' })));
    for (let i = 0; i < candidates.length; i += 8) {
      const batch = await Promise.all(candidates.slice(i, i + 8).map(async (c) => ({ sub: c.sub, session: await open(c, placed) })));
      people.push(...batch);
    }
  });

  it(`${CANDIDATES * SUBMITS_EACH} concurrent submits and ${CANDIDATES} autosaves: no error, nothing lost, every progress document right`, async () => {
    const requests = people.flatMap((p, i) => [
      ...Array.from({ length: SUBMITS_EACH }, (_, k) =>
        post(p.session, '/lti/practicum/entries', { ...COMPLETE_ENTRY, hours: String(k + 1), date: `2026-10-${String(10 + k).padStart(2, '0')}`, formToken: `burst-${i}-${k}-token-abcdef`, intent: 'submit' }),
      ),
      p.session.agent
        .post('/lti/practicum/entries/autosave')
        .set('Content-Type', 'application/json')
        .send({ ltik: p.session.ltik, description: `Half-written ${i}`, hours: '0.5', formToken: `burst-${i}-auto-token-abcdef` }),
    ]);
    const answers = await Promise.all(requests);
    const statuses = answers.map((r) => r.status);
    expect(statuses.filter((s) => s !== 200), JSON.stringify(answers.filter((r) => r.status !== 200).map((r) => r.text.slice(0, 200)))).to.deep.equal([]);

    for (const p of people) {
      const entries = await PracticumEntryModel.find({ activityId, candidateSub: p.sub }).lean();
      const submitted = entries.filter((e) => e.status === 'submitted');
      expect(submitted, 'every submit stored once, as submitted').to.have.length(SUBMITS_EACH);
      expect(entries.filter((e) => e.status === 'draft'), 'the autosave stored once').to.have.length(1);
      const progress = await PracticumProgressModel.findOne({ _id: progressId(activityId, p.sub) }).lean();
      const minutes = progress?.minutes as Record<string, { total: number }>;
      const counts = progress?.entries as Record<string, number>;
      expect(minutes.submitted.total).to.equal(submitted.reduce((sum, e) => sum + e.minutes, 0));
      expect(minutes.draft.total).to.equal(30);
      expect(counts).to.deep.equal({ submitted: SUBMITS_EACH, draft: 1 });
    }
  });
});
