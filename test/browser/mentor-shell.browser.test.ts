import { expect } from 'chai';
import type { Page } from 'playwright-core';
import { revokeAccessLink } from '../../src/access';
import { findSandboxMailTo } from '../../src/sandbox';
import { buildAccessLink, sessionFromLocation } from '../access/access-kit';
import { checkAtEachWidth, toolFrame, usePagePerTest } from '../helpers/browser';
import { testServer, useTestMailer } from '../helpers/test-server';
import { anonymous, buildPracticumCourse, COMPLETE_ENTRY, open, post, type PracticumCourse } from '../practicum/practicum-kit';

const isoDaysFromNow = (days: number) => new Date(Date.now() + days * 86_400_000).toISOString().slice(0, 10);
function watchCsp(page: Page): string[] {
  const errors: string[] = [];
  page.on('console', (m) => {
    if (/Content Security Policy/i.test(m.text())) errors.push(m.text());
  });
  return errors;
}

describe('browser: the external mentor pages and the Sandbox LMS at 1280 and 400 px', function () {
  this.timeout(180_000);
  let page: Page;
  usePagePerTest((p) => (page = p));
  let course: PracticumCourse;
  const mentorName = 'Marta Site-Supervisor';
  const mentorEmail = `marta-${Math.random().toString(36).slice(2, 8)}.site-supervisor.with-a-long-address@lincoln-elementary.example`;
  let linkUrl = '';

  before(async () => {
    useTestMailer(null); // the Sandbox outbox, where the test reads the invitation
    course = await buildPracticumCourse('Mentor shell', { termStart: isoDaysFromNow(-40), termEnd: isoDaysFromNow(50) });
    const a = await open(course.candidateA, course.placement);
    for (const [days, hours] of [[-9, '3'], [-2, '2.5'], [-1, '1']] as const) {
      const res = await post(a, '/lti/practicum/entries', { ...COMPLETE_ENTRY, date: isoDaysFromNow(days), hours, siteName: 'Lincoln Elementary School at the corner of a very long street name', intent: 'submit' });
      expect(res.status).to.equal(200);
    }
    expect((await post(a, '/lti/practicum/mentor', { mentorName, mentorEmail })).status).to.equal(200);
    const [mail] = await findSandboxMailTo(mentorEmail);
    linkUrl = /https?:\/\/\S+\/access\/[A-Za-z0-9._-]+/.exec(mail?.text ?? '')?.[0] ?? '';
    expect(linkUrl, mail?.text).to.match(/\/access\//);
  });

  it('landing, the mentor page (To verify · Verified · Hour logs) before and after verifying, a candidate’s hour log under the same header, and the used link', async () => {
    const csp = watchCsp(page);
    await checkAtEachWidth(page, linkUrl, 'mentor-shell-landing', 'button:has-text("Continue as")');
    expect(await page.getByTestId('shell-title').textContent()).to.equal(`Mentoring ${course.candidateA.name}`);

    await page.getByRole('button', { name: `Continue as ${mentorName}` }).click();
    await page.waitForURL(/\/access\/home\?s=/);
    const home = page.url();
    await checkAtEachWidth(page, home, 'mentor-shell-practicum', '[data-testid="mentor-queue"]');
    // The header says what this is and who the reader is, in plain words.
    expect(await page.getByTestId('shell-title').textContent()).to.equal(`Mentoring ${course.candidateA.name}`);
    expect(await page.getByTestId('shell-person').textContent()).to.equal(`${mentorName} · Mentor`);
    const body = (await page.locator('main').innerText()).toLowerCase();
    for (const word of ['lti', 'ltik', 'sub ', 'token', 'undefined']) expect(body, `developer word "${word}" on the mentor page`).not.to.include(word);
    const nav = page.getByRole('navigation', { name: 'Sections of this page' });
    expect(await nav.getByRole('link').allTextContents()).to.deep.equal(['To verify', 'Verified', 'Hour logs']);
    await nav.getByRole('link', { name: 'Hour logs' }).click();
    expect(new URL(page.url()).hash).to.equal('#hour-logs');

    // At 400 px the table is stacked rows and every action is on screen and usable.
    expect(await page.locator('[data-testid="mentor-queue"] thead').boundingBox().then((b) => (b?.height ?? 0) <= 1)).to.equal(true);
    for (const name of ['Verify selected', 'Return selected with comment']) expect(await page.getByRole('button', { name }).isVisible(), name).to.equal(true);
    await page.getByRole('button', { name: /^Verify the entry of/ }).first().click();
    await page.getByTestId('mentor-flash').waitFor();
    expect(await page.getByTestId('mentor-flash').textContent()).to.equal('1 entry verified.');
    await checkAtEachWidth(page, home, 'mentor-shell-practicum-after-verify', '[data-testid="mentor-recent"]');
    expect(await page.getByTestId('mentor-recent').locator('tbody tr').count()).to.equal(1);
    expect(await page.getByTestId('awaiting-count').textContent()).to.equal('2 entries are waiting for your verification.');

    // The candidate's printable hour log, opened from the mentor page, has the same header on screen.
    await page.getByTestId('mentor-hour-logs').getByRole('link', { name: /^Printable hour log/ }).first().click();
    await page.getByTestId('hour-log-header').waitFor();
    await checkAtEachWidth(page, page.url(), 'mentor-shell-hour-log', '[data-testid="hour-log-entries"]');
    expect(await page.getByTestId('shell-title').textContent()).to.equal(`Mentoring ${course.candidateA.name}`);
    expect(await page.getByTestId('shell-person').textContent()).to.equal(`${mentorName} · Mentor`);
    expect(await page.getByRole('heading', { level: 1 }).allTextContents()).to.deep.equal([`Mentoring ${course.candidateA.name}`]);
    const logNav = page.getByRole('navigation', { name: 'Sections of this page' });
    expect(await logNav.locator('[aria-current="page"]').textContent()).to.equal('Hour logs');
    await logNav.getByRole('link', { name: 'To verify' }).click();
    await page.getByTestId('mentor-queue').waitFor();
    expect(page.url()).to.equal(`${home}#to-verify`);
    await page.goBack();
    await page.getByTestId('hour-log-header').waitFor();
    // Printed, it is the hour log alone: no site header or section links.
    await page.emulateMedia({ media: 'print' });
    expect(await page.getByTestId('shell-header').isVisible()).to.equal(false);
    expect(await page.getByTestId('hour-log-header').isVisible()).to.equal(true);
    await page.emulateMedia({ media: 'screen' });

    await checkAtEachWidth(page, linkUrl, 'mentor-shell-link-used', '[data-testid="refusal-message"]');
    expect(await page.getByRole('heading', { level: 1 }).textContent()).to.equal('This link has already been used');
    expect(await page.locator('main').innerText()).not.to.include('access_link_used');
    expect(csp).to.deep.equal([]);
  });

  it('an expired link, a withdrawn link and a withdrawn session each say what happened and what to do, in plain words', async () => {
    const { baseUrl } = testServer();
    const expired = await buildAccessLink({ ttlHours: 1 / 3600 });
    const withdrawn = await buildAccessLink();
    const redeemed = await anonymous().post('/access/redeem').type('form').send({ token: withdrawn.token });
    const s = sessionFromLocation(redeemed.headers.location as string);
    expect(await revokeAccessLink(withdrawn.jti, { sub: 'fac-1', name: 'Dr. Carla Mendes' })).to.equal(true);
    await new Promise((r) => setTimeout(r, 1100)); // past the expired link's one second
    const cases = [
      { name: 'link-expired', url: expired.url, heading: 'This link has expired', says: 'ask Dr. Carla Mendes for a new one' },
      { name: 'link-withdrawn', url: withdrawn.url, heading: 'This link was withdrawn', says: 'ask Dr. Carla Mendes' },
      { name: 'session-withdrawn', url: `${baseUrl}/access/home?s=${encodeURIComponent(s)}`, heading: 'Please open Fieldbook from your invitation', says: 'Your access was withdrawn' },
    ];
    for (const c of cases) {
      await checkAtEachWidth(page, c.url, `mentor-shell-${c.name}`, '[data-testid="refusal-message"]');
      expect(await page.getByRole('heading', { level: 1 }).textContent(), c.name).to.equal(c.heading);
      expect(await page.getByTestId('refusal-message').textContent(), c.name).to.include(c.says);
      expect(await page.getByTestId('refusal-help').textContent(), c.name).to.include('send a new link');
      expect(await page.locator('main').innerText(), c.name).not.to.match(/access_|session_|Code:/);
    }
  });

  it('Sandbox home, course gradebook and launch page: no developer badge, stacked rows at 400 px', async () => {
    const csp = watchCsp(page);
    const { baseUrl } = testServer();
    // A candidate launch, so the gradebook has a learner row and the launch page a tool frame.
    await page.goto(`${baseUrl}/sandbox/launch/${course.placement.id}/${course.candidateA.id}`);
    await toolFrame(page);
    const heading = page.getByRole('heading', { level: 1 });
    expect((await heading.textContent())?.trim()).to.equal(course.placement.title);
    expect(await heading.getAttribute('data-message-type')).to.equal('LtiResourceLinkRequest');
    await checkAtEachWidth(page, `${baseUrl}/sandbox/launch/${course.placement.id}/${course.candidateA.id}`, 'mentor-shell-sandbox-launch', 'iframe.sandbox-tool-frame');
    await checkAtEachWidth(page, `${baseUrl}/sandbox/courses/${course.id}/gradebook`, 'mentor-shell-sandbox-gradebook', 'h1');
    await checkAtEachWidth(page, `${baseUrl}/sandbox#course-${course.id}`, 'mentor-shell-sandbox-home', `#course-${course.id}`);
    expect(csp).to.deep.equal([]);
  });
});
