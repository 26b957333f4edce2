import { expect } from 'chai';
import type { Browser } from 'playwright-core';
import { axeViolations, formatViolations, launchBrowser, type AxeViolation } from '../helpers/browser';
import { buildAccessLink } from '../access/access-kit';

function expectNone(violations: AxeViolation[]): void {
  expect(violations, formatViolations(violations)).to.have.length(0);
}

/** A mentor without an LMS account: invitation link → landing → Continue → home; every page passes axe. */
describe('browser: mentor access link', function () {
  this.timeout(60_000);
  let browser: Browser;
  before(async () => {
    browser = await launchBrowser();
  });
  after(async () => {
    await browser?.close();
  });

  it('opens the landing page, continues into the session, and refuses the link a second time — all pages pass axe', async () => {
    const link = await buildAccessLink({ name: 'Mona Mentor' });
    const page = await browser.newPage();
    const cspErrors: string[] = [];
    page.on('console', (m) => {
      if (/Content Security Policy/i.test(m.text())) cspErrors.push(m.text());
    });
    await page.goto(link.url);
    expectNone(await axeViolations(page));
    await page.getByRole('button', { name: 'Continue as Mona Mentor' }).click();
    await page.waitForURL(/\/access\/home\?s=/);
    // The shell header: what this is and who the reader is (buildAccessLink's candidate and course).
    expect(await page.getByRole('heading', { level: 1 }).textContent()).to.equal('Mentoring Cara Candidate');
    expect(await page.getByTestId('shell-person').textContent()).to.equal('Mona Mentor · Mentor');
    expectNone(await axeViolations(page));
    await page.goto(link.url);
    expect(await page.getByRole('heading', { level: 1 }).textContent()).to.equal('This link has already been used');
    expectNone(await axeViolations(page));
    expect(cspErrors).to.deep.equal([]);
  });
});
