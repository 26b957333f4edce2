import { expect } from 'chai';
import { addSandboxPerson } from '../../src/sandbox';
import { PracticumEntryModel } from '../../src/practicum/practicum-entry.model';
import { decodeHtml } from '../helpers/sandbox-launch';
import { buildPracticumCourse, COMPLETE_ENTRY, get, open, post, type PracticumCourse, type Session } from './practicum-kit';

const key = (e: { _id: unknown; version: number }) => `${String(e._id)}:${e.version}`;
const sectionIds = (html: string) => [...html.matchAll(/data-section="([a-z]+)"/g)].map((m) => m[1]);

describe('practicum shell: the coordinator reads, the LMS mentor verifies, and an entry’s history leads back', function () {
  this.timeout(60_000);
  let course: PracticumCourse;
  let a: Session;
  let coordinator: Session;
  let entry: { _id: unknown; version: number };

  before(async () => {
    course = await buildPracticumCourse('Roles hours');
    a = await open(course.candidateA, course.placement);
    expect((await post(a, '/lti/practicum/entries', { ...COMPLETE_ENTRY, intent: 'submit' })).status).to.equal(200);
    entry = (await PracticumEntryModel.findOne({ activityId: course.activityId, candidateSub: course.candidateA.sub }).lean())!;
    const person = await addSandboxPerson(course.id, { name: `Cody Coordinator ${course.id.slice(-6)}`, roles: 'coordinator' });
    await open(course.faculty, course.placement);
    coordinator = await open(person, course.placement);
  });

  it('the coordinator sees Entries · Candidates, the whole cohort, and no approve, return, reassign or grade controls', async () => {
    const page = decodeHtml((await get(coordinator, '/lti/practicum')).text);
    expect(page).to.match(/data-testid="fieldbook-role">Program coordinator</);
    expect(sectionIds(page)).to.deep.equal(['review', 'candidates']);
    expect(page).to.include('data-testid="read-only-note"');
    expect(page).to.include(course.candidateA.name).and.to.include(course.candidateB.name);
    expect(page).to.include('<th scope="col">Site mentor</th>').and.to.not.include('data-label="Mentor"');
    for (const absent of ['name="entries"', 'action="/lti/practicum/entries/approve"', '/entries/return', 'data-testid="reassign-form"', 'id="grades"', 'data-testid="candidate-link"']) expect(page, absent).to.not.include(absent);
  });

  it('a coordinator’s approve or return POST is refused (403) and the entry is unchanged', async () => {
    const approve = await post(coordinator, '/lti/practicum/entries/approve', { entries: key(entry) });
    expect(approve.status).to.equal(403);
    const back = await post(coordinator, '/lti/practicum/entries/return', { entries: key(entry), comment: 'No' });
    expect(back.status).to.equal(403);
    expect((await PracticumEntryModel.findOne({ _id: entry._id }).lean())!.status).to.equal('submitted');
  });

  it('the LMS mentor’s sections are To verify · Mentees', async () => {
    const mentor = await open(course.mentorOfA, course.placement);
    const page = decodeHtml((await get(mentor, '/lti/practicum')).text);
    expect(sectionIds(page)).to.deep.equal(['review', 'candidates']);
    expect(page).to.include('>To verify</a>').and.to.include('>Mentees</a>');
    expect(page).to.include('Verify selected');
    expect(page).to.include('<th scope="col">Site mentor</th>').and.to.not.include('data-label="Mentor"');
    expect(page).to.not.include(course.candidateB.name);
  });

  it('an entry’s history has the shell header, standards by name, and a link back to where it was opened from', async () => {
    const id = String(entry._id);
    const fromReview = decodeHtml((await get(coordinator, `/lti/practicum/entries/${id}?aid=${course.activityId}&from=review`)).text);
    expect(fromReview).to.match(/data-testid="fieldbook-role">Program coordinator</);
    expect(fromReview).to.match(/data-testid="entry-back">← Back to Entries</);
    expect(fromReview).to.match(/href="\/lti\/practicum\?ltik=[^"]+&aid=[a-f0-9]+#review" data-testid="entry-back"/);
    expect(fromReview).to.match(/data-testid="entry-standards">.*<li>4\. [A-Z]/s);
    const own = decodeHtml((await get(a, `/lti/practicum/entries/${id}?aid=${course.activityId}&from=entries`)).text);
    expect(own).to.match(/#entries" data-testid="entry-back">← Back to Entries</);
    // An unknown ?from= falls back to the first section of the reader.
    expect(decodeHtml((await get(a, `/lti/practicum/entries/${id}?aid=${course.activityId}&from=javascript:x`)).text)).to.match(/#overview" data-testid="entry-back">← Back to Overview</);
    const faculty = await open(course.faculty, course.placement);
    const fromCandidate = decodeHtml((await get(faculty, `/lti/practicum/entries/${id}?aid=${course.activityId}&from=candidate`)).text);
    expect(fromCandidate).to.include(`/lti/practicum/candidates/${encodeURIComponent(course.candidateA.sub)}?ltik=`);
    expect(fromCandidate).to.include(`Back to ${course.candidateA.name}’s page`);
  });
});
