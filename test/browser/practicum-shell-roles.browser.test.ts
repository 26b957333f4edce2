import { expect } from 'chai';
import type { Page } from 'playwright-core';
import { addSandboxPerson } from '../../src/sandbox';
import { PracticumEntryModel } from '../../src/practicum/practicum-entry.model';
import { byTestId, checkAtEachWidth, launchSession, usePagePerTest } from '../helpers/browser';
import { testServer } from '../helpers/test-server';
import { buildPracticumCourse, COMPLETE_ENTRY, open, post, type PracticumCourse } from '../practicum/practicum-kit';

const isoDaysFromNow = (days: number) => new Date(Date.now() + days * 86_400_000).toISOString().slice(0, 10);
const sectionLinks = (page: Page) => page.getByTestId('shell-nav').locator('a').allTextContents();

describe('browser: the practicum shell at 1280 and 400 px — LMS mentor, coordinator and an entry’s history', function () {
  this.timeout(180_000);
  let page: Page;
  usePagePerTest((p) => (page = p));
  let course: PracticumCourse;
  let coordinatorId: string;

  before(async () => {
    course = await buildPracticumCourse('Shell roles', { termStart: isoDaysFromNow(-40), termEnd: isoDaysFromNow(50) });
    coordinatorId = (await addSandboxPerson(course.id, { name: `Cody Coordinator ${course.id.slice(-6)}`, roles: 'coordinator' })).id;
    const a = await open(course.candidateA, course.placement);
    for (const [days, hours] of [[-9, '3'], [-2, '2.5']] as const) {
      const res = await post(a, '/lti/practicum/entries', { ...COMPLETE_ENTRY, date: isoDaysFromNow(days), hours, siteName: 'Lincoln Elementary School at the corner of a very long street name', intent: 'submit' });
      expect(res.status).to.equal(200);
    }
    await post(a, '/lti/practicum/mentor', { mentorName: 'Marta Site-Supervisor', mentorEmail: 'marta.site-supervisor.with-a-long-address@lincoln-elementary.example' });
    // The mentor verifies one entry, so the history page has more than one step.
    const mentor = await open(course.mentorOfA, course.placement);
    const first = await PracticumEntryModel.findOne({ activityId: course.activityId, candidateSub: course.candidateA.sub, date: isoDaysFromNow(-9) }).lean();
    expect((await post(mentor, '/lti/practicum/entries/verify', { entries: `${String(first!._id)}:${first!.version}` })).status).to.equal(200);
    // Faculty launch once so the roster (B never launched) is known.
    await open(course.faculty, course.placement);
  });

  it('LMS mentor: To verify · Mentees, with verify and return reachable at 400 px', async () => {
    const { ltik, aid } = await launchSession(page, course.placement.id, course.mentorOfA.id);
    const base = `${testServer().baseUrl}/lti/practicum?ltik=${encodeURIComponent(ltik)}&aid=${aid}`;
    await checkAtEachWidth(page, base, 'practicum-shell-mentor', byTestId('review-queue'));
    expect(await sectionLinks(page)).to.deep.equal(['To verify', 'Mentees']);
    expect(await page.getByTestId('fieldbook-role').textContent()).to.equal('Mentor');
    expect(await page.getByRole('button', { name: 'Verify selected' }).isVisible()).to.equal(true);
    expect(await page.getByRole('button', { name: /Return selected/ }).isVisible()).to.equal(true);
    // Only their mentee is listed, never the other candidate.
    expect(await page.getByTestId('cohort-row').count()).to.equal(1);
    expect(await page.getByTestId('cohort').textContent()).to.not.include(course.candidateB.name);
  });

  it('coordinator: Entries · Candidates, the whole cohort read-only (no approve, return, reassign or grades)', async () => {
    const { ltik, aid } = await launchSession(page, course.placement.id, coordinatorId);
    const base = `${testServer().baseUrl}/lti/practicum?ltik=${encodeURIComponent(ltik)}&aid=${aid}`;
    await checkAtEachWidth(page, base, 'practicum-shell-coordinator', byTestId('review-queue'));
    expect(await sectionLinks(page)).to.deep.equal(['Entries', 'Candidates']);
    expect(await page.getByTestId('fieldbook-role').textContent()).to.equal('Program coordinator');
    expect(await page.getByTestId('cohort-row').count()).to.equal(2);
    expect(await page.getByTestId('read-only-note').isVisible()).to.equal(true);
    for (const name of [/Approve/, /Return selected/, /Reassign/, /Send grade/]) expect(await page.getByRole('button', { name }).count(), String(name)).to.equal(0);
    expect(await page.locator('input[type="checkbox"][name="entries"]').count()).to.equal(0);
    expect(await page.locator('#grades, #mentors').count()).to.equal(0);
  });

  it('an entry’s history: the shell header and a way back to the section it was opened from', async () => {
    const { ltik, aid } = await launchSession(page, course.placement.id, course.mentorOfA.id);
    await page.goto(`${testServer().baseUrl}/lti/practicum?ltik=${encodeURIComponent(ltik)}&aid=${aid}&status=verified`);
    await page.getByTestId('review-queue').locator('a').first().click();
    await page.getByTestId('audit-trail').waitFor();
    await checkAtEachWidth(page, page.url(), 'practicum-shell-entry-history', byTestId('audit-trail'));
    expect(await page.getByTestId('person-name').textContent()).to.equal(course.mentorOfA.name);
    const steps = await page.getByTestId('audit-trail').locator('li').allInnerTexts();
    expect(steps).to.have.length(2);
    expect(steps[0].startsWith(`Submitted by ${course.candidateA.name} (Candidate) · `), steps[0]).to.equal(true);
    expect(steps[1].startsWith(`Verified by ${course.mentorOfA.name} (Mentor) · `), steps[1]).to.equal(true);
    await page.getByTestId('entry-back').click();
    await page.getByTestId('review-queue').waitFor();
    expect(new URL(page.url()).hash).to.equal('#review');
  });
});
