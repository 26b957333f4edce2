import { expect } from 'chai';
import { addSandboxPerson, createSandboxCourse, createSandboxPlacement } from '../../src/sandbox';
import { placeActivity } from '../helpers/activity-kit';
import { decodeHtml } from '../helpers/sandbox-launch';
import { COMPLETE_ENTRY, open, post } from '../practicum/practicum-kit';

/** No mentor verification: a submitted entry goes straight to faculty for approval. */
const NO_MENTOR = { rulePackId: 'custom', requiredHours: '2' };

/** The course home's "awaiting" line for one activity, or null when it shows none. */
function awaitingLine(html: string, activityId: string): string | null {
  const start = html.indexOf(`data-activity="${activityId}"`);
  expect(start, 'the course home lists the activity').to.be.greaterThan(-1);
  const item = html.slice(start, html.indexOf('</li>', start));
  const line = /data-testid="awaiting">([^<]*)</.exec(item);
  return line ? decodeHtml(line[1]).trim() : null;
}

describe('course home: what awaits each person in an activity', () => {
  it('faculty see the entries awaiting their approval; the candidate sees their own drafts, never faculty’s count', async () => {
    const suffix = Math.random().toString(36).slice(2, 8);
    const course = await createSandboxCourse({ title: `Awaiting ${suffix}`, label: `AWAIT-${suffix}` });
    const [candidate, faculty] = await Promise.all([
      addSandboxPerson(course.id, { name: `Ada Candidate ${suffix}`, roles: 'candidate' }),
      addSandboxPerson(course.id, { name: `Dr. Fox ${suffix}`, roles: 'faculty' }),
    ]);
    const placed = await placeActivity({ courseId: course.id, facultyId: faculty.id, title: `Field hours ${suffix}`, points: 10, settings: NO_MENTOR });
    const activityId = placed.custom.activity_id;
    const nav = await createSandboxPlacement(course.id, { kind: 'course_navigation', title: 'Fieldbook' });

    expect(awaitingLine((await open(faculty, nav)).text, activityId), 'nothing awaits faculty before any entry').to.equal(null);

    const writer = await open(candidate, placed);
    const submitted = await post(writer, '/lti/practicum/entries', { ...COMPLETE_ENTRY, intent: 'submit' });
    expect(submitted.status, submitted.text).to.equal(200);
    const draft = await post(writer, '/lti/practicum/entries', { hours: '1', description: 'Notes to finish later', intent: 'draft' });
    expect(draft.status, draft.text).to.equal(200);

    expect(awaitingLine((await open(faculty, nav)).text, activityId)).to.equal('1 entry awaiting your approval');
    const candidateHome = await open(candidate, nav);
    expect(awaitingLine(candidateHome.text, activityId)).to.equal('1 draft or returned entry to finish');
    expect(decodeHtml(candidateHome.text)).not.to.include('awaiting your approval');

    const second = await post(writer, '/lti/practicum/entries', { ...COMPLETE_ENTRY, date: '2026-10-06', intent: 'submit' });
    expect(second.status, second.text).to.equal(200);
    const facultyHome = decodeHtml((await open(faculty, nav)).text);
    expect(awaitingLine(facultyHome, activityId)).to.equal('2 entries awaiting your approval');
    // Where the course stands, from the kind's progress hook: the roster's one candidate, not complete yet.
    expect(facultyHome).to.match(/data-testid="group-progress">[^<]*0 of 1 candidates? complete/);
    const ownHome = decodeHtml((await open(candidate, nav)).text);
    expect(ownHome).to.include('data-testid="own-progress"');
    expect(ownHome).to.match(/role="progressbar"/);
    expect(ownHome).not.to.include('data-testid="group-progress"');
  });
});
