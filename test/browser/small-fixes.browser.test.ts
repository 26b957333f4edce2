import { expect } from 'chai';
import type { ConsoleMessage, Page } from 'playwright-core';
import { addSandboxPerson, createSandboxCourse, createSandboxPlacement, recordSandboxMail } from '../../src/sandbox';
import { expectAccessible, saveScreenshot, toolFrame, usePagePerTest } from '../helpers/browser';
import { testServer } from '../helpers/test-server';

const NARROW = { width: 400, height: 800 };
const hasNoHorizontalOverflow = (page: Page) => page.evaluate(() => document.documentElement.scrollWidth <= document.documentElement.clientWidth);

/** Issue 10's small things seen in a real browser: CSP console errors in the picker, the outbox at 400 px. */
describe('browser: the picker loads without CSP errors; the Sandbox outbox fits 400 px', function () {
  this.timeout(120_000);
  let page: Page;
  const browser = usePagePerTest((p) => (page = p));

  it('the deep-linking picker logs no console error (nothing blocked by Fieldbook’s own CSP)', async () => {
    const { baseUrl } = testServer();
    const suffix = Math.random().toString(36).slice(2, 8);
    const course = await createSandboxCourse({ title: `Picker ${suffix}`, label: `PCK-${suffix}` });
    const faculty = await addSandboxPerson(course.id, { name: `Dr. Lee ${suffix}`, roles: 'faculty' });
    const addActivity = await createSandboxPlacement(course.id, { kind: 'deep_linking', title: 'Add a Fieldbook activity' });
    const errors: string[] = [];
    page.on('console', (m: ConsoleMessage) => {
      if (m.type() === 'error') errors.push(`${m.text()} @ ${m.location().url}`);
    });
    await page.goto(`${baseUrl}/sandbox/launch/${addActivity.id}/${faculty.id}`);
    let picker = await toolFrame(page);
    await picker.getByLabel('Practicum log').check();
    await picker.locator('details summary').first().click();
    // A failed form re-renders the picker (with its errors), then a good one returns to the LMS.
    await picker.getByRole('button', { name: 'Add to course' }).click();
    await page.frameLocator('iframe').locator('.invalid-feedback, .text-danger').first().waitFor();
    picker = await toolFrame(page);
    await saveScreenshot(page, 'picker-errors-1280');
    await picker.getByLabel('Title').fill(`Hours ${suffix}`);
    await picker.getByLabel('Points possible').fill('10');
    await picker.getByRole('button', { name: 'Add to course' }).click();
    await page.frameLocator('iframe').getByText(`Message from the tool: Added Hours ${suffix}`).waitFor();
    // Expected: the browser's request for /favicon.ico (none is served) and the failed form's 400.
    const expected = (e: string) => e.includes('/favicon.ico') || (e.includes('status of 400') && e.includes('/lti/deep-link/submit'));
    const real = errors.filter((e) => !expected(e));
    expect(errors.some((e) => e.includes('status of 400')), 'the console listener hears the page').to.equal(true);
    expect(real, real.join('\n')).to.deep.equal([]);
  });

  it('the mail outbox and a message with a long address and URL stay inside 400 px (stacked rows, wrapped text)', async () => {
    const { baseUrl } = testServer();
    const suffix = Math.random().toString(36).slice(2, 8);
    const longAddress = `a.very.long.mentor.address.${suffix}.that.does.not.break@district-of-somewhere-far-away.k12.example.org`;
    const longUrl = `${baseUrl}/access/${'x'.repeat(43)}?utm_source=${'y'.repeat(60)}`;
    const { id } = await recordSandboxMail({ to: longAddress, from: 'Fieldbook <no-reply@fieldbook.example>', subject: `Your Fieldbook access link ${suffix}`, text: `Open ${longUrl} to verify hours.`, html: `<a href="${longUrl}">Open</a>` });
    await page.setViewportSize(NARROW);
    await page.goto(`${baseUrl}/sandbox/mail`);
    await page.getByText(longAddress).first().waitFor();
    await saveScreenshot(page, 'sandbox-mail-list-400');
    expect(await hasNoHorizontalOverflow(page), 'outbox list scrolls sideways at 400 px').to.equal(true);
    // No scroller inside the page either: the subject link (the way to the message) is on screen.
    const link = page.getByRole('link', { name: `Your Fieldbook access link ${suffix}` });
    const box = await link.boundingBox();
    expect(box, 'subject link rendered').to.not.equal(null);
    expect(box!.x + box!.width, 'subject link inside the 400 px viewport').to.be.at.most(NARROW.width);
    const innerScroll = await page.evaluate(() => Array.from(document.querySelectorAll('main *')).filter((el) => el.clientWidth > 1 && el.scrollWidth > el.clientWidth + 1 && getComputedStyle(el).overflowX !== 'visible').map((el) => el.className));
    expect(innerScroll, 'elements scrolling sideways').to.deep.equal([]);
    await expectAccessible(page, 'mail outbox at 400 px');
    await page.goto(`${baseUrl}/sandbox/mail/${id}`);
    await saveScreenshot(page, 'sandbox-mail-show-400');
    expect(await hasNoHorizontalOverflow(page), 'message page scrolls sideways at 400 px').to.equal(true);
    await expectAccessible(page, 'mail message at 400 px');
  });

  it('times show in the viewer’s own zone (local-time.js), never as UTC; without the script a plain date', async () => {
    const { baseUrl } = testServer();
    const suffix = Math.random().toString(36).slice(2, 8);
    const { id } = await recordSandboxMail({ to: `zone-${suffix}@example.org`, from: 'Fieldbook <no-reply@fieldbook.example>', subject: `Zone ${suffix}`, text: 'Hello' });
    const context = await browser().newContext({ timezoneId: 'America/Chicago', locale: 'en-US' });
    try {
      const chicago = await context.newPage();
      await chicago.goto(`${baseUrl}/sandbox/mail/${id}`);
      const time = chicago.locator('time[data-local="done"]').first();
      await time.waitFor();
      const iso = await time.getAttribute('datetime');
      const expected = new Intl.DateTimeFormat('en-US', { timeZone: 'America/Chicago', year: 'numeric', month: 'short', day: 'numeric', hour: 'numeric', minute: '2-digit' }).format(new Date(iso!));
      expect(await time.textContent()).to.equal(expected);
      expect(await chicago.locator('main').textContent()).to.not.include('UTC');
    } finally {
      await context.close();
    }
    const noScript = await browser().newContext({ javaScriptEnabled: false });
    try {
      const plain = await noScript.newPage();
      await plain.goto(`${baseUrl}/sandbox/mail/${id}`);
      const text = await plain.locator('time[data-local]').first().textContent();
      expect(text).to.match(/^\d{4}-\d{2}-\d{2}$/);
      expect(await plain.locator('main').textContent()).to.not.include('UTC');
    } finally {
      await noScript.close();
    }
  });
});
