import { expect } from 'chai';
import { PracticumEntryModel } from '../../src/practicum/practicum-entry.model';
import { presentTrailStep } from '../../src/practicum/practicum.presenter';
import { decodeHtml } from '../helpers/sandbox-launch';
import { buildPracticumCourse, COMPLETE_ENTRY, get, open, post } from './practicum-kit';

describe('practicum log: an entry’s history', function () {
  this.timeout(60_000);

  it('shows each change as one plain sentence (who, their role as a title, then when, in the reader’s zone, never “UTC”); others’ entries are 404', async () => {
    const course = await buildPracticumCourse('History hours');
    const candidate = await open(course.candidateA, course.placement);
    const submitted = await post(candidate, '/lti/practicum/entries', { ...COMPLETE_ENTRY, aid: course.activityId, intent: 'submit' });
    expect(submitted.status, submitted.text.slice(0, 300)).to.equal(200);
    const entry = await PracticumEntryModel.findOne({ activityId: course.activityId, candidateSub: course.candidateA.sub }).lean();
    expect(entry, 'the entry was stored').to.not.equal(null);

    const mentor = await open(course.mentorOfA, course.placement);
    expect((await post(mentor, '/lti/practicum/entries/verify', { entries: `${String(entry!._id)}:${entry!.version}` })).status).to.equal(200);
    const verified = await PracticumEntryModel.findOne({ _id: entry!._id }).lean();
    const faculty = await open(course.faculty, course.placement);
    expect((await post(faculty, '/lti/practicum/entries/return', { entries: `${String(entry!._id)}:${verified!.version}`, comment: 'Add the site address.' })).status).to.equal(200);

    const page = await get(candidate, `/lti/practicum/entries/${String(entry!._id)}?aid=${course.activityId}`);
    expect(page.status).to.equal(200);
    const steps = [...decodeHtml(page.text).matchAll(/<li class="list-group-item" data-to="[a-z]+">(.*?)<\/li>/gs)].map((m) => m[1]);
    expect(steps).to.have.length(3);
    const time = '<span class="fb-date"><time[^>]* datetime="\\d{4}-\\d\\d-\\d\\dT[^"]+" data-local>[^<]+</time></span>';
    expect(steps[0]).to.match(new RegExp(`^Submitted by ${course.candidateA.name} \\(Candidate\\) · ${time}$`));
    expect(steps[1]).to.match(new RegExp(`^Verified by ${course.mentorOfA.name} \\(Mentor\\) · ${time}$`));
    expect(steps[2]).to.match(new RegExp(`^Returned by ${course.faculty.name} \\(Faculty\\) · ${time}<div class="small">“Add the site address.”</div>$`));
    // One "by" per line, and no role in lower case where a title belongs.
    for (const step of steps) expect(step.match(/\bby\b/g), step).to.have.length(1);
    expect(page.text).to.not.match(/\((candidate|mentor|faculty)\)/);
    expect(page.text).to.not.include('UTC');

    const other = await open(course.candidateB, course.placement);
    expect((await get(other, `/lti/practicum/entries/${String(entry!._id)}?aid=${course.activityId}`)).status).to.equal(404);
  });

  it('names a mentor from an emailed link the site mentor, and says when a returned entry comes back', () => {
    const at = new Date('2026-12-03T08:40:00Z');
    const external = { kind: 'external', sub: null, email: 'marta@school.example', name: 'Marta Site-Supervisor', role: 'mentor' };
    expect(presentTrailStep({ from: 'submitted', to: 'verified', actor: external, comment: '', at }).sentence).to.equal('Verified by Marta Site-Supervisor (Site mentor)');
    expect(presentTrailStep({ from: 'submitted', to: 'returned', actor: { ...external, name: '' }, comment: 'Wrong date', at }).sentence).to.equal('Returned by marta@school.example (Site mentor)');
    const candidate = { kind: 'lti', sub: 'c1', email: null, name: 'Ana Candidate', role: 'candidate' };
    expect(presentTrailStep({ from: 'returned', to: 'submitted', actor: candidate, comment: '', at }).sentence).to.equal('Resubmitted by Ana Candidate (Candidate)');
    expect(presentTrailStep({ from: 'returned', to: 'draft', actor: candidate, comment: '', at }).sentence).to.equal('Reopened for editing by Ana Candidate (Candidate)');
  });
});
