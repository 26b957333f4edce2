import { expect } from 'chai';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { ARTIFACTS_DIR, byTestId, checkAtEachWidth, launchSession, usePagePerTest } from '../helpers/browser';
import { testServer } from '../helpers/test-server';
import { buildPracticumCourse, COMPLETE_ENTRY, open, post, type PracticumCourse } from '../practicum/practicum-kit';

const isoDaysFromNow = (days: number) => new Date(Date.now() + days * 86_400_000).toISOString().slice(0, 10);
/** Each shown chart text: its size on screen (font size in user units × the SVG's scale), and where it ends. */
function chartTextSizes(page: Page) {
  return page.evaluate(() =>
    Array.from(document.querySelectorAll<SVGTextElement>('svg.fb-chart-svg text'))
      .filter((t) => t.getBoundingClientRect().width > 0)
      .map((t) => {
        const svg = t.ownerSVGElement!;
        const box = svg.getBoundingClientRect();
        return { text: t.textContent ?? '', px: (parseFloat(getComputedStyle(t).fontSize) * box.width) / svg.viewBox.baseVal.width, right: t.getBoundingClientRect().right, chartRight: box.right };
      }),
  );
}

/** Axis labels, row labels and values: readable at each width (not shrunk with the chart) and inside it. */
async function expectReadableCharts(page: Page, width: number, name: string) {
  const sizes = await chartTextSizes(page);
  expect(sizes.length, 'chart texts').to.be.greaterThan(10);
  for (const t of sizes) expect(t.px, `“${t.text}” at ${width} px`).to.be.at.least(12);
  for (const t of sizes) expect(t.right, `“${t.text}” at ${width} px runs out of its chart`).to.be.at.most(t.chartRight + 1);
  await page.getByTestId('practicum-charts').screenshot({ path: path.join(ARTIFACTS_DIR, `practicum-shell-${name}-charts-${width}.png`) });
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
    await checkAtEachWidth(page, `${testServer().baseUrl}/lti/practicum?ltik=${encodeURIComponent(ltik)}&aid=${aid}`, 'practicum-shell-candidate-overview', byTestId('overview'), (width) => expectReadableCharts(page, width, 'candidate'));
    // The section links are plain anchors: following one needs no script.
    await page.getByRole('link', { name: 'Entries', exact: true }).click();
    expect(new URL(page.url()).hash).to.equal('#entries');
  });

  it('faculty review, cohort table and per-candidate page', async () => {
    const { ltik, aid } = await launchSession(page, course.placement.id, course.faculty.id);
    const base = `${testServer().baseUrl}/lti/practicum?ltik=${encodeURIComponent(ltik)}&aid=${aid}`;
    await checkAtEachWidth(page, base, 'practicum-shell-faculty-review', byTestId('review-queue'));
    await checkAtEachWidth(page, `${base}&sort=pace#candidates`, 'practicum-shell-faculty-cohort', byTestId('cohort'));
    // At 400 px the approve action is still on screen and usable.
    await page.setViewportSize({ width: 400, height: 900 });
    await page.goto(base);
    expect(await page.getByRole('button', { name: 'Approve selected' }).isVisible()).to.equal(true);
    await page.getByTestId('candidate-link').first().click();
    await page.getByTestId('candidate-page').waitFor();
    const candidateUrl = page.url();
    await checkAtEachWidth(page, candidateUrl, 'practicum-shell-faculty-candidate', byTestId('candidate-page'), (width) => expectReadableCharts(page, width, 'faculty-candidate'));
  });
});
