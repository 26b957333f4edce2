import { expect } from 'chai';
import type { Page } from 'playwright-core';
import { runGradeSenderOnce } from '../../src/grading/grade-sender';
import { PracticumAuditModel } from '../../src/practicum/practicum-audit.model';
import { PracticumEntryModel } from '../../src/practicum/practicum-entry.model';
import { addSandboxPerson, createSandboxCourse, createSandboxPlacement, findSandboxMailTo, getSandboxGrade, listSandboxPlacements } from '../../src/sandbox';
import { DESKTOP_VIEWPORT, expectAccessible, saveScreenshot, toolFrame, usePagePerTest } from '../helpers/browser';
import { testServer } from '../helpers/test-server';

const daysAgo = (n: number) => new Date(Date.now() - n * 86_400_000).toISOString().slice(0, 10);

/**
 * The whole practicum loop in a real browser, through the Sandbox LMS: faculty place the activity
 * (deep linking with settings), a candidate logs and submits hours and names a mentor, the mentor
 * verifies from the emailed link (no LMS account), faculty approve, the grade reaches the gradebook.
 */
describe('browser: practicum log — candidate → external mentor → faculty', function () {
  this.timeout(180_000);
  let page: Page;
  const browser = usePagePerTest((p) => (page = p));

  it('logs, verifies by emailed link, approves and sends the grade — every page passes axe', async () => {
    const { baseUrl } = testServer();
    const suffix = Math.random().toString(36).slice(2, 8);
    const course = await createSandboxCourse({ title: `EDL 695 — Practicum ${suffix}`, label: `EDL695-${suffix}` });
    const candidate = await addSandboxPerson(course.id, { name: `Rosa Diaz ${suffix}`, roles: 'candidate' });
    const faculty = await addSandboxPerson(course.id, { name: `Dr. Ada Obi ${suffix}`, roles: 'faculty' });
    const addActivity = await createSandboxPlacement(course.id, { kind: 'deep_linking', title: 'Add a Fieldbook activity' });
    const mentorName = `Marta Site ${suffix}`;
    const mentorEmail = `marta-${suffix}@lincoln.example`;

    // Faculty: place a practicum log with settings.
    await page.goto(`${baseUrl}/sandbox/launch/${addActivity.id}/${faculty.id}`);
    const picker = await toolFrame(page);
    await picker.getByLabel('Practicum log').check();
    await picker.getByLabel('Title', { exact: true }).fill('Internship hours');
    await picker.getByLabel('Points possible').fill('50');
    // UCEA model policy (mentor verification required), shortened to 2 hours so one entry completes it.
    await picker.locator('#rulePackId').selectOption('ucea');
    await picker.locator('#requiredHours').fill('2');
    await expectAccessible(picker, 'deep-linking picker with practicum settings');
    await picker.getByRole('button', { name: 'Add to course' }).click();
    await page.frameLocator('iframe').getByText('Message from the tool: Added Internship hours').waitFor();
    const placed = (await listSandboxPlacements(course.id)).find((p) => p.createdByDeepLink && p.title === 'Internship hours');
    expect(placed?.lineItemId).to.be.a('string');

    // Candidate: log an entry, submit it, name the mentor.
    await page.goto(`${baseUrl}/sandbox/launch/${placed!.id}/${candidate.id}`);
    let view = await toolFrame(page);
    await view.locator('#date').fill(daysAgo(3));
    await view.locator('#hours').fill('2.5');
    await view.locator('#category').selectOption({ index: 1 });
    await view.locator('#siteName').fill('Lincoln Elementary');
    await view.locator('#gradeBand').selectOption({ index: 1 });
    await view.locator('input[name="standards"]').first().check();
    await view.locator('#description').fill('Led the grade-level data meeting with the principal.');
    await view.getByRole('button', { name: 'Save and submit' }).click();
    await page.frameLocator('iframe').getByText('Entry saved and submitted for review.').waitFor();
    view = await toolFrame(page);
    await view.locator('#assign-mentorName').fill(mentorName);
    await view.locator('#assign-mentorEmail').fill(mentorEmail);
    await view.getByRole('button', { name: 'Invite my mentor' }).click();
    await page.frameLocator('iframe').getByTestId('mentor-link-status').waitFor();
    view = await toolFrame(page);
    expect(await view.getByTestId('mentor-link-status').getAttribute('data-status')).to.equal('invited');
    await expectAccessible(view, 'candidate page with the named mentor');

    // The mentor: the link from the email (Sandbox outbox), landing, continue, verify.
    const [mail] = await findSandboxMailTo(mentorEmail);
    const link = /https?:\/\/\S+\/access\/\S+/.exec(mail?.text ?? '')?.[0];
    expect(link, mail?.text).to.be.a('string');
    const mentorPage = await browser().newPage({ viewport: DESKTOP_VIEWPORT });
    try {
      await mentorPage.goto(link!);
      await expectAccessible(mentorPage, 'mentor landing page');
      await mentorPage.getByRole('button', { name: `Continue as ${mentorName}` }).click();
      await mentorPage.waitForURL(/\/access\/home\?s=/);
      await mentorPage.getByTestId('mentor-queue').waitFor();
      await expectAccessible(mentorPage, 'mentor verification page');
      await mentorPage.getByRole('button', { name: /^Verify the entry of/ }).click();
      await mentorPage.getByTestId('mentor-flash').waitFor();
      expect(await mentorPage.getByTestId('mentor-flash').textContent()).to.equal('1 entry verified.');
      await mentorPage.getByTestId('nothing-awaiting').waitFor();
      await expectAccessible(mentorPage, 'mentor page after verifying');
    } finally {
      await mentorPage.close();
    }
    const entry = await PracticumEntryModel.findOne({ activityId: placed!.custom.activity_id, candidateSub: candidate.sub }).lean();
    expect(entry?.status).to.equal('verified');
    const verified = await PracticumAuditModel.findOne({ entryId: entry!._id, to: 'verified' }).lean();
    expect(verified?.actor).to.include({ kind: 'external', email: mentorEmail, name: mentorName });

    // Faculty: approve from the review queue.
    await page.goto(`${baseUrl}/sandbox/launch/${placed!.id}/${faculty.id}`);
    view = await toolFrame(page);
    await view.getByTestId('review-queue').waitFor();
    await expectAccessible(view, 'faculty review queue');
    await view.locator(`#sel-${String(entry!._id)}`).check();
    await view.getByRole('button', { name: 'Approve selected' }).click();
    await page.frameLocator('iframe').getByText('1 entry approved.').waitFor();
    await expectAccessible(await toolFrame(page), 'faculty page after approving');

    // The grade reaches the Sandbox gradebook (the approval also woke the background sender, which may hold the claim).
    let grade = null;
    for (const deadline = Date.now() + 15_000; !grade && Date.now() < deadline; ) {
      await runGradeSenderOnce();
      grade = await getSandboxGrade(placed!.lineItemId!, candidate.sub);
      if (!grade) await new Promise((r) => setTimeout(r, 200));
    }
    expect(grade?.scoreGiven).to.equal(50);
    expect(grade?.gradingProgress).to.equal('FullyGraded');
    expect(grade?.scoreMaximum).to.equal(50);

    // The candidate's progress page (kept as a test artifact).
    await page.goto(`${baseUrl}/sandbox/launch/${placed!.id}/${candidate.id}`);
    view = await toolFrame(page);
    await view.getByTestId('practicum-progress').waitFor();
    expect(await view.getByTestId('hours-by-status').textContent()).to.include('Approved: 2.5 h');
    // The total bar is drawn full (2.5 h of 2 h), not just described in text.
    const totalBar = view.getByTestId('practicum-progress').locator('.progress-bar').first();
    const [barWidth, trackWidth] = await totalBar.evaluate((bar) => [bar.getBoundingClientRect().width, bar.parentElement!.getBoundingClientRect().width]);
    expect(barWidth).to.be.closeTo(trackWidth, 1);
    await expectAccessible(view, 'candidate progress page');
    await saveScreenshot(page, 'practicum-candidate-progress');
  });
});
