import { expect } from 'chai';
import type { Page } from 'playwright-core';
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

describe('browser: the practicum shell at 1280 and 400 px — candidate overview, faculty review, cohort and candidate page', function () {
  this.timeout(180_000);
  let page: Page;
  usePagePerTest((p) => (page = p));
  let course: PracticumCourse;

  before(async () => {
    course = await buildPracticumCourse('Shell pages', { termStart: isoDaysFromNow(-40), termEnd: isoDaysFromNow(50) });
    const a = await open(course.candidateA, course.placement);
    for (const [days, hours] of [[-9, '3'], [-2, '2.5']] as const) {
      const res = await post(a, '/lti/practicum/entries', { ...COMPLETE_ENTRY, date: isoDaysFromNow(days), hours, siteName: 'Lincoln Elementary School at the corner of a very long street name', intent: 'submit' });
      expect(res.status).to.equal(200);
    }
    await post(a, '/lti/practicum/mentor', { mentorName: 'Marta Site-Supervisor', mentorEmail: 'marta.site-supervisor.with-a-long-address@lincoln-elementary.example' });
  });

  it('candidate overview', async () => {
    const { ltik, aid } = await launchSession(page, course.placement.id, course.candidateA.id);
    await checkAtEachWidth(page, `${testServer().baseUrl}/lti/practicum?ltik=${encodeURIComponent(ltik)}&aid=${aid}`, 'candidate-overview', 'overview');
    // The section links are plain anchors: following one needs no script.
    await page.getByRole('link', { name: 'Entries', exact: true }).click();
    expect(new URL(page.url()).hash).to.equal('#entries');
  });

  it('faculty review, cohort table and per-candidate page', async () => {
    const { ltik, aid } = await launchSession(page, course.placement.id, course.faculty.id);
    const base = `${testServer().baseUrl}/lti/practicum?ltik=${encodeURIComponent(ltik)}&aid=${aid}`;
    await checkAtEachWidth(page, base, 'faculty-review', 'review-queue');
    await checkAtEachWidth(page, `${base}&sort=pace#candidates`, 'faculty-cohort', 'cohort');
    // At 400 px the approve action is still on screen and usable.
    await page.setViewportSize({ width: 400, height: 900 });
    await page.goto(base);
    expect(await page.getByRole('button', { name: 'Approve selected' }).isVisible()).to.equal(true);
    await page.getByTestId('candidate-link').first().click();
    await page.getByTestId('candidate-page').waitFor();
    const candidateUrl = page.url();
    await checkAtEachWidth(page, candidateUrl, 'faculty-candidate', 'candidate-page');
  });
});
