import { expect } from 'chai';
import { PracticumEntryModel } from '../../src/practicum/practicum-entry.model';
import { decodeHtml } from '../helpers/sandbox-launch';
import { anonymous, buildPracticumCourse, COMPLETE_ENTRY, get, open, post, type PracticumCourse, type Session } from './practicum-kit';

const isoDaysFromNow = (days: number) => new Date(Date.now() + days * 86_400_000).toISOString().slice(0, 10);
const key = (e: { _id: unknown; version: number }) => `${String(e._id)}:${e.version}`;
/** The candidate names of the cohort table, in the order shown. */
const cohortNames = (html: string) => [...decodeHtml(html).matchAll(/data-testid="cohort-row"[\s\S]*?<th scope="row"[^>]*>(?:<a [^>]*>)?([^<]+)</g)].map((m) => m[1]);

describe('practicum shell: header, section links, cohort table and the per-candidate page', () => {
  let course: PracticumCourse;
  let a: Session;
  let mentor: Session;
  let faculty: Session;
  before(async () => {
    // A term under way: a candidate with nothing logged is behind pace.
    course = await buildPracticumCourse('Shell hours', { termStart: isoDaysFromNow(-40), termEnd: isoDaysFromNow(50) });
    [a, mentor] = await Promise.all([open(course.candidateA, course.placement), open(course.mentorOfA, course.placement)]);
    const res = await post(a, '/lti/practicum/entries', { ...COMPLETE_ENTRY, date: isoDaysFromNow(-2), hours: '6', intent: 'submit' });
    expect(res.status, res.text).to.equal(200);
    expect((await post(a, '/lti/practicum/mentor', { mentorName: 'Marta Site', mentorEmail: `marta-${course.id}@lincoln.example` })).status).to.equal(200);
    // Faculty launch last: the launch reads the course roster, so B (who never launched) is known.
    faculty = await open(course.faculty, course.placement);
  });

  it('the candidate sees a header with their name and role in plain words, their section links, and no identity card', async () => {
    const page = decodeHtml((await get(a, '/lti/practicum')).text);
    expect(page).to.match(/data-testid="person-name">Ana Reyes/);
    expect(page).to.match(/data-testid="fieldbook-role">Candidate</);
    expect(page).to.include('data-testid="shell-title">Shell hours');
    const links = [...page.matchAll(/data-section="([a-z]+)"/g)].map((m) => m[1]);
    expect(links).to.deep.equal(['overview', 'log', 'entries', 'mentor']);
    for (const id of links) expect(page).to.include(`id="${id}"`);
    expect(page).not.to.include('Signed in through your LMS');
    expect(page).not.to.include('data-testid="cohort"');
    expect(page).not.to.include('id="grades"');
  });

  it('faculty see Review · Candidates · Mentors · Grades · Settings, and every roster candidate in the cohort, with pace and mentor', async () => {
    const res = await get(faculty, '/lti/practicum');
    expect(res.status).to.equal(200);
    const page = decodeHtml(res.text);
    expect(page).to.match(/data-testid="fieldbook-role">Faculty</);
    expect([...page.matchAll(/data-section="([a-z]+)"/g)].map((m) => m[1])).to.deep.equal(['review', 'candidates', 'mentors', 'grades', 'settings']);
    for (const id of ['review', 'candidates', 'mentors', 'grades', 'settings']) expect(page).to.include(`id="${id}"`);
    expect(cohortNames(res.text)).to.deep.equal([course.candidateA.name, course.candidateB.name]);
    // B has never launched nor logged anything; 40 days into the term that is behind pace.
    const rowOf = (sub: string) => page.slice(page.indexOf(`data-candidate="${sub}"`), page.indexOf('</tr>', page.indexOf(`data-candidate="${sub}"`)));
    expect(rowOf(course.candidateB.sub)).to.include('data-pace="behind"').and.to.include('Behind pace');
    expect(rowOf(course.candidateA.sub)).to.include('1 entry (6 h)');
    // The mentor a candidate names is their site mentor, in the cohort and in the Mentors table alike.
    expect(rowOf(course.candidateA.sub)).to.include('<td data-label="Site mentor">Marta Site</td>');
    expect(page).to.include('<th scope="col">Site mentor</th><th scope="col">Hour log</th>');
    expect(page).to.match(/<th scope="col">Candidate<\/th><th scope="col">Site mentor<\/th><th scope="col">Link<\/th>/);
    expect(page).to.include(`<td data-label="Named by">${course.candidateA.name} (Candidate)</td>`);
    expect(page).to.not.match(/>Mentor<\/th>|data-label="Mentor"/);
    expect(page).to.include('data-testid="grade-sync-empty"');
  });

  it('the cohort table sorts and searches on the server (?sort=, ?q=)', async () => {
    const byPending = await get(faculty, '/lti/practicum?sort=pending');
    expect(cohortNames(byPending.text)).to.deep.equal([course.candidateA.name, course.candidateB.name]);
    const byPace = await get(faculty, '/lti/practicum?sort=pace');
    // Both are behind (6 h pending against ~130 h expected): behind first, then by name.
    expect(cohortNames(byPace.text)).to.deep.equal([course.candidateA.name, course.candidateB.name]);
    expect(byPace.text.match(/data-pace="behind"/g)).to.have.length(2);
    expect(byPace.text).to.match(/aria-sort="ascending"><a [^>]*data-sort="pace"/);
    const found = await get(faculty, `/lti/practicum?q=${encodeURIComponent('ben okafor')}`);
    expect(cohortNames(found.text)).to.deep.equal([course.candidateB.name]);
    // B never launched: the email comes from the course roster. A is found through the mentor they named.
    const byEmail = await get(faculty, `/lti/practicum?q=${encodeURIComponent(course.candidateB.email.toUpperCase())}`);
    expect(cohortNames(byEmail.text)).to.deep.equal([course.candidateB.name]);
    expect(byEmail.text).to.not.include(course.candidateB.email);
    const byMentor = await get(faculty, `/lti/practicum?q=${encodeURIComponent('marta site')}`);
    expect(cohortNames(byMentor.text)).to.deep.equal([course.candidateA.name]);
    const none = await get(faculty, '/lti/practicum?q=nobody-at-all');
    expect(decodeHtml(none.text)).to.include('No candidate or mentor matches “nobody-at-all”');
    // A sort that is not offered falls back to names, not to an error.
    expect((await get(faculty, '/lti/practicum?sort=drop')).status).to.equal(200);
  });

  it('the per-candidate page: 401 without a session, 403 for a candidate or a mentor, 404 for someone not in the course', async () => {
    const path = `/lti/practicum/candidates/${encodeURIComponent(course.candidateB.sub)}?aid=${course.activityId}`;
    expect((await anonymous().get(path)).status).to.equal(401);
    const other = await get(a, `/lti/practicum/candidates/${encodeURIComponent(course.candidateB.sub)}`);
    expect(other.status).to.equal(403);
    expect(other.text).not.to.include(course.candidateB.name);
    expect((await get(a, `/lti/practicum/candidates/${encodeURIComponent(course.candidateA.sub)}`)).status).to.equal(403);
    expect((await get(mentor, `/lti/practicum/candidates/${encodeURIComponent(course.candidateA.sub)}`)).status).to.equal(403);
    expect((await get(faculty, '/lti/practicum/candidates/not-a-candidate-here')).status).to.equal(404);
    expect((await get(faculty, `/lti/practicum/candidates/${encodeURIComponent(course.faculty.sub)}`)).status).to.equal(404);
  });

  it('faculty open a candidate: hours by category, level and standard (by name), entries, mentor and grade line', async () => {
    const res = await get(faculty, `/lti/practicum/candidates/${encodeURIComponent(course.candidateA.sub)}`);
    expect(res.status, res.text).to.equal(200);
    const page = decodeHtml(res.text);
    expect(page).to.match(new RegExp(`data-testid="candidate-name">${course.candidateA.name}<`));
    const standards = page.slice(page.indexOf('data-testid="hours-by-standard"'), page.indexOf('</table>', page.indexOf('data-testid="hours-by-standard"')));
    // Standard 4 of the default framework, by its name, with the 6 h awaiting review.
    expect(standards).to.match(/<th scope="row" data-label="Name">4\. [A-Z][a-z]+/);
    expect(standards).to.include('6 h');
    expect(page).to.match(/data-testid="hours-by-category"[\s\S]*Teacher observation and feedback/);
    expect(page).to.match(/data-testid="hours-by-setting"[\s\S]*Elementary/);
    expect(standards).to.match(/6\.1 \(part of 6\. [A-Z]/);
    expect(page).to.include('data-testid="candidate-entries"');
    expect(page).to.include('<dt class="col-sm-3">Site mentor</dt>');
    expect(page).to.match(/data-testid="candidate-mentor">Marta Site <span[^>]*>\(marta-[^)]+\)<\/span> · <span data-testid="mentor-link-status" data-status="invited">/);
    expect(page).to.include('No grade has been sent for this candidate yet.');
    expect(page).to.include('data-section="candidates"');
    expect(page).to.match(/aria-current="page" data-section="candidates"/);
    const empty = decodeHtml((await get(faculty, `/lti/practicum/candidates/${encodeURIComponent(course.candidateB.sub)}`)).text);
    expect(empty).to.include('data-testid="candidate-no-entries"');
    expect(empty).to.include('No site mentor named yet.');
  });

  it('after faculty approve, the page keeps its Grades section and says the grade was queued', async () => {
    const entry = (await PracticumEntryModel.findOne({ activityId: course.activityId, candidateSub: course.candidateA.sub }).lean())!;
    expect((await post(mentor, '/lti/practicum/entries/verify', { entries: [key(entry)] })).status).to.equal(200);
    const verified = (await PracticumEntryModel.findById(entry._id).lean())!;
    const res = await post(faculty, '/lti/practicum/entries/approve', { entries: [key(verified)] });
    expect(res.status, res.text).to.equal(200);
    const page = decodeHtml(res.text);
    expect(page).to.match(/data-testid="practicum-flash">1 entry approved\. The grade for this candidate was queued for the gradebook\./);
    expect(page).to.include('id="grades"');
    expect(page).to.match(new RegExp(`data-testid="grade-sync-row" data-user="${course.candidateA.sub}"`));
    expect(page).to.include('data-testid="shell-nav"');
  });
});
