import { expect } from 'chai';
import type { Frame, Page } from 'playwright-core';
import { addSandboxPerson, createSandboxCourse } from '../../src/sandbox';
import { placeActivity } from '../helpers/activity-kit';
import { expectAccessible, saveScreenshot, toolFrame, usePagePerTest } from '../helpers/browser';
import { testServer } from '../helpers/test-server';

/** Vertical scroll the page has inside its frame (0: it fits, the LMS page scrolls instead). */
const innerScroll = (frame: Frame) => frame.evaluate(() => document.documentElement.scrollHeight - document.documentElement.clientHeight);

/** Waits until the Sandbox applied a frameResize for a page at least `minHeight` tall, and says how tall. */
async function resizedTo(page: Page, minHeight: number): Promise<number> {
  const handle = await page.waitForFunction(
    (min) => {
      const el = document.querySelector('iframe.sandbox-tool-frame');
      const asked = Number(el?.getAttribute('data-resized') ?? 0);
      return asked >= min ? asked : false;
    },
    minHeight,
    { timeout: 10_000 },
  );
  return (await handle.jsonValue()) as number;
}

/**
 * Inside an LMS the tool's page must not scroll on its own (a scrolling box inside a scrolling
 * page): it asks the LMS, with Canvas's lti.frameResize message, for a frame as tall as it is,
 * and the Sandbox, like Canvas, gives the frame that height.
 */
describe('browser: the tool page inside the LMS frame', function () {
  this.timeout(120_000);
  let page: Page;
  usePagePerTest((p) => (page = p));

  for (const width of [1280, 400]) {
    it(`asks for the frame height it needs and does not scroll inside the frame (${width} px)`, async () => {
      const { baseUrl } = testServer();
      const suffix = Math.random().toString(36).slice(2, 8);
      const course = await createSandboxCourse({ title: `EDL 650 — Frame ${suffix}`, label: `EDL650-${suffix}` });
      const faculty = await addSandboxPerson(course.id, { name: `Dr. Frame ${suffix}`, roles: 'faculty' });
      const candidate = await addSandboxPerson(course.id, { name: `Tall Page ${suffix}`, roles: 'candidate' });
      const placed = await placeActivity({ courseId: course.id, facultyId: faculty.id, title: `Frame hours ${suffix}`, points: 10 });
      await page.setViewportSize({ width, height: 800 });
      await page.goto(`${baseUrl}/sandbox/launch/${placed.id}/${candidate.id}`);
      const frame = await toolFrame(page);
      await frame.getByTestId('entry-form').waitFor();

      const contentHeight = await frame.evaluate(() => document.documentElement.scrollHeight);
      // The candidate page (progress, the entry form, entries, mentor) is taller than the 80vh the frame starts at.
      expect(contentHeight, 'the page is taller than the frame it starts in').to.be.greaterThan(800);
      const asked = await resizedTo(page, contentHeight - 2);
      expect(asked).to.be.at.most(contentHeight + 2);
      const frameHeight = await page.evaluate(() => document.querySelector('iframe.sandbox-tool-frame')!.getBoundingClientRect().height);
      expect(frameHeight, 'the Sandbox gave the frame the height asked for').to.be.at.least(asked);
      expect(await innerScroll(frame), 'no scrolling inside the frame').to.be.at.most(1);
    });
  }

  it('a failed form comes back with focus on its error summary, whose links lead to the fields', async () => {
    const { baseUrl } = testServer();
    const suffix = Math.random().toString(36).slice(2, 8);
    const course = await createSandboxCourse({ title: `EDL 651 — Errors ${suffix}`, label: `EDL651-${suffix}` });
    const faculty = await addSandboxPerson(course.id, { name: `Dr. Errors ${suffix}`, roles: 'faculty' });
    const candidate = await addSandboxPerson(course.id, { name: `Hasty Candidate ${suffix}`, roles: 'candidate' });
    const placed = await placeActivity({ courseId: course.id, facultyId: faculty.id, title: `Error hours ${suffix}`, points: 10 });
    await page.setViewportSize({ width: 400, height: 800 });
    await page.goto(`${baseUrl}/sandbox/launch/${placed.id}/${candidate.id}`);
    let frame = await toolFrame(page);
    await frame.getByRole('spinbutton', { name: 'Hours' }).fill('2.5');
    await frame.getByRole('button', { name: 'Save and submit' }).click();
    frame = await toolFrame(page);
    const summary = frame.getByTestId('error-summary');
    await summary.waitFor();
    await frame.waitForFunction(() => document.activeElement?.hasAttribute('data-error-summary') === true, undefined, { timeout: 5_000 });
    const links = await summary.getByRole('link').allTextContents();
    expect(links.some((l) => l.startsWith('Date:')), links.join(' | ')).to.equal(true);
    expect(links.some((l) => l.startsWith('Hours:')), 'hours were typed and are not listed').to.equal(false);
    expect(await frame.getByRole('spinbutton', { name: 'Hours' }).inputValue(), 'what was typed is kept').to.equal('2.5');
    await summary.getByRole('link', { name: /^Date:/ }).click();
    expect(await frame.evaluate(() => location.hash)).to.equal('#date');
    await expectAccessible(frame, 'candidate page with a failed form');
    await saveScreenshot(page, 'practicum-error-summary-400');
  });
});
