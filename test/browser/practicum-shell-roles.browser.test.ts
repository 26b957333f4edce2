import { expect } from 'chai';
import type { Page } from 'playwright-core';
import { addSandboxPerson } from '../../src/sandbox';
import { PracticumEntryModel } from '../../src/practicum/practicum-entry.model';
import { DESKTOP_VIEWPORT, expectAccessible, saveScreenshot, toolFrame, usePagePerTest } from '../helpers/browser';
import { testServer } from '../helpers/test-server';
import { buildPracticumCourse, COMPLETE_ENTRY, open, post, type PracticumCourse } from '../practicum/practicum-kit';

const isoDaysFromNow = (days: number) => new Date(Date.now() + days * 86_400_000).toISOString().slice(0, 10);
const WIDTHS = [DESKTOP_VIEWPORT.width, 400];

/** Launches through the Sandbox (a real signed launch) and returns the tool session the frame got. */
async function launchSession(page: Page, placementId: string, personId: string) {
  await page.goto(`${testServer().baseUrl}/sandbox/launch/${placementId}/${personId}`);
  const frame = await toolFrame(page);
  const ltik = await frame.locator('input[name="ltik"]').first().inputValue();
  const aid = await frame.locator('input[name="aid"]').first().inputValue();
  return { ltik, aid };
}

/** Opens a tool page at each width: axe (WCAG 2.1 AA), no sideways scrolling, a kept screenshot. */
async function checkAtEachWidth(page: Page, url: string, name: string, ready: string) {
  for (const width of WIDTHS) {
    await page.setViewportSize({ width, height: 900 });
    await page.goto(url);
    await page.getByTestId(ready).first().waitFor();
    await expectAccessible(page, `${name} at ${width} px`);
    const { scrollWidth, clientWidth } = await page.evaluate(() => ({ scrollWidth: document.documentElement.scrollWidth, clientWidth: document.documentElement.clientWidth }));
    expect(scrollWidth, `${name} at ${width} px scrolls sideways`).to.be.at.most(clientWidth);
    await saveScreenshot(page, `practicum-shell-${name}-${width}`);
  }
}

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
    await checkAtEachWidth(page, base, 'mentor', 'review-queue');
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
    await checkAtEachWidth(page, base, 'coordinator', 'review-queue');
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
    await checkAtEachWidth(page, page.url(), 'entry-history', 'audit-trail');
    expect(await page.getByTestId('person-name').textContent()).to.equal(course.mentorOfA.name);
    expect(await page.getByTestId('audit-trail').locator('li').count()).to.equal(2);
    await page.getByTestId('entry-back').click();
    await page.getByTestId('review-queue').waitFor();
    expect(new URL(page.url()).hash).to.equal('#review');
  });
});
