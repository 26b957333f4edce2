import { expect } from 'chai';
import type { Page } from 'playwright-core';
import { addSandboxPerson, createSandboxCourse, createSandboxPlacement, getSandboxGrade, listSandboxPlacements } from '../../src/sandbox';
import { expectAccessible, saveScreenshot, toolFrame, usePagePerTest } from '../helpers/browser';
import { testServer } from '../helpers/test-server';

/** The newcomer's path in a real browser: deep link an activity, launch as candidate, grade as faculty. */
describe('browser: first launch through the Sandbox LMS', function () {
  this.timeout(120_000);
  let page: Page;
  usePagePerTest((p) => (page = p));

  it('faculty place an activity, a candidate launches it, faculty send a grade that reaches the gradebook — all pages pass axe', async () => {
    const { baseUrl } = testServer();
    const suffix = Math.random().toString(36).slice(2, 8);
    const course = await createSandboxCourse({ title: `EDL 640 — Browser ${suffix}`, label: `EDL640-${suffix}` });
    const candidate = await addSandboxPerson(course.id, { name: `Rosa Diaz ${suffix}`, roles: 'candidate' });
    const faculty = await addSandboxPerson(course.id, { name: `Dr. Ada Obi ${suffix}`, roles: 'faculty' });
    const addActivity = await createSandboxPlacement(course.id, { kind: 'deep_linking', title: 'Add a Fieldbook activity' });

    await page.goto(`${baseUrl}/sandbox`);
    await expectAccessible(page, 'Sandbox home');

    await page.goto(`${baseUrl}/sandbox/launch/${addActivity.id}/${faculty.id}`);
    const picker = await toolFrame(page);
    await expectAccessible(picker, 'deep-linking picker');
    await picker.getByLabel('Practicum log').check();
    await picker.getByLabel('Title').fill('Internship hours');
    await picker.getByLabel('Points possible').fill('40');
    // Faculty send this grade by hand: the manual grade form is only offered for a faculty score.
    await picker.getByLabel('Faculty score', { exact: true }).check();
    await picker.getByRole('button', { name: 'Add to course' }).click();
    await page.frameLocator('iframe').getByText('Message from the tool: Added Internship hours').waitFor();

    const placed = (await listSandboxPlacements(course.id)).find((p) => p.createdByDeepLink && p.title === 'Internship hours');
    expect(placed?.lineItemId).to.be.a('string');

    await page.goto(`${baseUrl}/sandbox/launch/${placed!.id}/${candidate.id}`);
    const candidateView = await toolFrame(page);
    await candidateView.getByTestId('fieldbook-role').waitFor();
    expect(await candidateView.getByTestId('fieldbook-role').textContent()).to.equal('Candidate');
    expect(await candidateView.getByTestId('person-name').textContent()).to.equal(candidate.name);
    await expectAccessible(candidateView, 'candidate launch page');
    await saveScreenshot(page, 'first-launch-candidate');

    await page.goto(`${baseUrl}/sandbox/launch/${placed!.id}/${faculty.id}`);
    const facultyView = await toolFrame(page);
    const gradeForm = facultyView.getByRole('region', { name: 'Grades' });
    await gradeForm.getByLabel('Candidate').selectOption({ label: candidate.name });
    await gradeForm.getByLabel('Points').fill('36');
    await gradeForm.getByLabel('Comment (optional)').fill('Well documented');
    await gradeForm.getByRole('button', { name: 'Send grade' }).click();
    await page.frameLocator('iframe').getByTestId('score-sent').waitFor();
    await expectAccessible(await toolFrame(page), 'faculty page after grading');

    const grade = await getSandboxGrade(placed!.lineItemId!, candidate.sub);
    expect(grade).to.include({ scoreGiven: 36, scoreMaximum: 40 });

    await page.goto(`${baseUrl}/sandbox/courses/${course.id}/gradebook`);
    await expect(await page.getByRole('table').first().textContent()).to.include('36');
    await expectAccessible(page, 'Sandbox gradebook');
  });

  it('the launch page reflows on a phone-sized screen without horizontal scrolling', async () => {
    const { baseUrl } = testServer();
    const suffix = Math.random().toString(36).slice(2, 8);
    const course = await createSandboxCourse({ title: `EDL 641 — Mobile ${suffix}`, label: `EDL641-${suffix}` });
    const candidate = await addSandboxPerson(course.id, { name: `Kai Moana ${suffix}`, roles: 'candidate' });
    const nav = await createSandboxPlacement(course.id, { kind: 'course_navigation', title: 'Fieldbook' });
    await page.setViewportSize({ width: 375, height: 740 });
    await page.goto(`${baseUrl}/sandbox/launch/${nav.id}/${candidate.id}`);
    const frame = await toolFrame(page);
    await frame.getByTestId('fieldbook-role').waitFor();
    const overflow = await frame.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    expect(overflow).to.be.at.most(0);
  });
});
