import { expect } from 'chai';
import type { Page } from 'playwright-core';
import { PracticumEntryModel } from '../../src/practicum/practicum-entry.model';
import { expectAccessible, saveScreenshot, toolFrame, usePagePerTest } from '../helpers/browser';
import { testServer } from '../helpers/test-server';
import { buildPracticumCourse, COMPLETE_ENTRY, open, post, type PracticumCourse } from '../practicum/practicum-kit';

/** The printable hour log in a real browser, opened from the faculty cohort table: axe, phone width, print media. */
describe('browser: practicum hour log', function () {
  this.timeout(120_000);
  let page: Page;
  let course: PracticumCourse;
  usePagePerTest((p) => (page = p));

  before(async () => {
    course = await buildPracticumCourse('Printable hours');
    const [a, mentor, faculty] = await Promise.all([open(course.candidateA, course.placement), open(course.mentorOfA, course.placement), open(course.faculty, course.placement)]);
    const long = 'Facilitated the data team’s review of interim assessment results across grades 3–5 and drafted next steps with the principal. '.repeat(4);
    for (const date of ['2026-10-05', '2026-10-12']) expect((await post(a, '/lti/practicum/entries', { ...COMPLETE_ENTRY, date, description: long, intent: 'submit' })).status).to.equal(200);
    const key = (e: { _id: unknown; version: number }) => `${String(e._id)}:${e.version}`;
    const entries = await PracticumEntryModel.find({ activityId: course.activityId, candidateSub: course.candidateA.sub }).lean();
    expect((await post(mentor, '/lti/practicum/entries/verify', { entries: entries.map(key) })).status).to.equal(200);
    const verified = await PracticumEntryModel.find({ activityId: course.activityId, candidateSub: course.candidateA.sub }).lean();
    expect((await post(faculty, '/lti/practicum/entries/approve', { entries: verified.map(key) })).status).to.equal(200);
  });

  it('opens from the cohort table, passes axe at 1280 px and 400 px, does not scroll sideways on a phone, and prints without its buttons', async () => {
    await page.goto(`${testServer().baseUrl}/sandbox/launch/${course.placement.id}/${course.faculty.id}`);
    const review = await toolFrame(page);
    await review.getByRole('link', { name: `Printable hour log of ${course.candidateA.name}` }).click();
    await page.frameLocator('iframe').getByTestId('hour-log-entries').waitFor();
    const log = await toolFrame(page);
    expect(new URL(log.url()).pathname).to.equal('/lti/practicum/hour-log');
    // export-links.js added the browser's zone; the page names it.
    expect(new URL(log.url()).searchParams.get('tz')).to.be.a('string');
    expect(await log.getByTestId('hour-log-candidate').textContent()).to.equal(course.candidateA.name);
    expect(await log.locator('[data-entry-id]').count()).to.equal(2);
    expect(await log.getByTestId('hour-log-totals').textContent()).to.include('Counted hours: 5 of 300 h required');
    expect(await log.getByTestId('hour-log-record').textContent()).to.include(`Verified by ${course.mentorOfA.name}`).and.to.include(`Approved by ${course.faculty.name}`);
    expect(await log.getByRole('button', { name: 'Print' }).isVisible()).to.equal(true);
    await expectAccessible(log, 'hour log at 1280 px');
    await saveScreenshot(page, 'practicum-hour-log-1280');

    await page.setViewportSize({ width: 400, height: 800 });
    await log.waitForFunction(() => window.innerWidth <= 400);
    const overflow = await log.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    expect(overflow, 'horizontal overflow at 400 px').to.be.at.most(0);
    await expectAccessible(log, 'hour log at 400 px');
    await saveScreenshot(page, 'practicum-hour-log-400');

    await page.emulateMedia({ media: 'print' });
    expect(await log.getByRole('button', { name: 'Print' }).isVisible()).to.equal(false);
    expect(await log.getByTestId('hour-log-signatures').isVisible()).to.equal(true);
    await page.setViewportSize({ width: 700, height: 900 });
    await log.waitForFunction(() => window.innerWidth <= 700);
    expect(await log.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth), 'print overflow about A4 wide').to.be.at.most(0);
  });
});
