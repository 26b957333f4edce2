import { expect } from 'chai';
import { PracticumEntryModel } from '../../src/practicum/practicum-entry.model';
import { buildPracticumCourse, COMPLETE_ENTRY, get, open, post } from './practicum-kit';

describe('practicum log: an entry’s history', function () {
  this.timeout(60_000);

  it('shows each change with who made it, at a time the reader’s browser shows in their zone (never “UTC”); others’ entries are 404', async () => {
    const course = await buildPracticumCourse('History hours');
    const candidate = await open(course.candidateA, course.placement);
    const submitted = await post(candidate, '/lti/practicum/entries', { ...COMPLETE_ENTRY, aid: course.activityId, intent: 'submit' });
    expect(submitted.status, submitted.text.slice(0, 300)).to.equal(200);
    const entry = await PracticumEntryModel.findOne({ activityId: course.activityId, candidateSub: course.candidateA.sub }).lean();
    expect(entry, 'the entry was stored').to.not.equal(null);

    const page = await get(candidate, `/lti/practicum/entries/${String(entry!._id)}?aid=${course.activityId}`);
    expect(page.status).to.equal(200);
    expect(page.text).to.match(/<time[^>]* datetime="\d{4}-\d\d-\d\dT[^"]+" data-local>[^<]+<\/time> — Draft → Submitted by /);
    expect(page.text).to.not.include('UTC');

    const other = await open(course.candidateB, course.placement);
    expect((await get(other, `/lti/practicum/entries/${String(entry!._id)}?aid=${course.activityId}`)).status).to.equal(404);
  });
});
