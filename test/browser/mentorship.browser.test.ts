import { expect } from 'chai';
import type { Page } from 'playwright-core';
import { addSandboxPerson, type SandboxPersonView } from '../../src/sandbox';
import { MentorshipGoalModel } from '../../src/mentorship/mentorship-goal.model';
import { byTestId, checkAtEachWidth, launchSession, saveScreenshot, toolFrame, usePagePerTest } from '../helpers/browser';
import { testServer } from '../helpers/test-server';
import { buildMentorshipCourse, checkInsOf, day, formTokenOf, recordHeld, type MentorshipCourse } from '../mentorship/mentorship-kit';
import { anonymous, open, post } from '../practicum/practicum-kit';
import { sessionFromLocation } from '../access/access-kit';
import { findSandboxMailTo } from '../../src/sandbox';

const sectionLinks = (page: Page) => page.getByTestId('shell-nav').locator('a').allTextContents();

/** Launches `person` in the course's placement and returns the check-in page's URL. */
async function pageUrl(page: Page, course: MentorshipCourse, person: SandboxPersonView) {
  const { ltik, aid } = await launchSession(page, course.placement.id, person.id);
  return `${testServer().baseUrl}/lti/mentorship?ltik=${encodeURIComponent(ltik)}&aid=${aid}`;
}

/** The coordinator's page has no form to read the session from: its CSV link carries it. */
async function coordinatorUrl(page: Page, course: MentorshipCourse) {
  await page.goto(`${testServer().baseUrl}/sandbox/launch/${course.placement.id}/${course.coordinator.id}`);
  const href = await (await toolFrame(page)).getByTestId('mentorship-csv').getAttribute('href');
  const session = new URL(href!, testServer().baseUrl).searchParams;
  return `${testServer().baseUrl}/lti/mentorship?ltik=${encodeURIComponent(session.get('ltik')!)}&aid=${session.get('aid')}`;
}

describe('browser: mentorship check-ins at 1280 and 400 px — candidate, LMS mentor, faculty and coordinator', function () {
  this.timeout(180_000);
  let page: Page;
  usePagePerTest((p) => (page = p));
  let course: MentorshipCourse;
  let overdue: SandboxPersonView;

  before(async () => {
    course = await buildMentorshipCourse();
    overdue = await addSandboxPerson(course.id, { name: `Cy Late ${course.id.slice(-6)}`, roles: 'candidate' });
    const [a, b] = await Promise.all([open(course.candidateA, course.placement), open(course.candidateB, course.placement), open(overdue, course.placement), open(course.faculty, course.placement)]);
    // A: a held check-in whose open item is carried into a second one, a goal with progress, a planned meeting.
    const first = await recordHeld(a, { formToken: formTokenOf(a.text), date: day(-30), item_0_due: day(-25) });
    expect(first.status, first.text).to.equal(200);
    const [held] = await checkInsOf(course, course.candidateA.sub);
    const carried = `${String(held._id)}:${held.actionItems[0].id}`;
    const second = await recordHeld(a, { formToken: formTokenOf(first.text), date: day(-9), agenda: 'Review the plan draft', candidateNotes: 'The plan needs a family survey.', item_0_from: carried, item_1_text: 'Write the family survey', item_1_owner: 'candidate', item_1_due: day(5) });
    expect(second.status, second.text).to.equal(200);
    const planned = await recordHeld(a, { formToken: formTokenOf(second.text), intent: 'plan', date: day(6), agenda: 'Look at the survey answers', candidateNotes: '', item_0_text: '', item_0_due: '' });
    expect(planned.status, planned.text).to.equal(200);
    expect((await post(a, '/lti/mentorship/goals', { title: 'Lead a data team', measurable: 'Two inquiry cycles with the grade-3 team', targetDate: day(40), progressPercent: '20', progressNote: 'Team formed' })).status).to.equal(200);
    const goal = (await MentorshipGoalModel.findOne({ activityId: course.activityId, candidateSub: course.candidateA.sub }).lean())!;
    expect((await post(a, '/lti/mentorship/goals', { goalId: String(goal._id), version: String(goal.version), title: goal.title, measurable: goal.measurable, targetDate: day(40), progressPercent: '60', progressNote: 'First cycle done' })).status).to.equal(200);
    // B (no LMS mentor) asks for support in the pulse; Cy never records one and is overdue.
    const res = await recordHeld(b, { formToken: formTokenOf(b.text), date: day(-5), pulse_workload: '1', pulse_support: '2', pulse_confidence: '3', pulse_connection: '2', pulse_help: 'More time with my principal' });
    expect(res.status, res.text).to.equal(200);
  });

  it('candidate: overview, the plan-or-record form, check-ins with a carried item, a goal with progress', async () => {
    const url = await pageUrl(page, course, course.candidateA);
    await checkAtEachWidth(page, url, 'mentorship-candidate', byTestId('checkin-form'), async () => {
      expect(await page.getByRole('button', { name: 'Record as held' }).isVisible()).to.equal(true);
      expect(await page.getByRole('button', { name: 'Plan this check-in' }).isVisible()).to.equal(true);
    });
    expect(await sectionLinks(page)).to.deep.equal(['Overview', 'Plan or record', 'Check-ins', 'Goals', 'History']);
    expect(await page.getByTestId('fieldbook-role').textContent()).to.equal('Candidate');
    // (Whether the mentor's test has signed one off yet or not.)
    expect(await page.getByTestId('compliance-line').textContent()).to.match(/^[01] of 3 check-ins signed off\. Next check-in planned for /);
    const cards = page.getByTestId('checkin');
    expect(await cards.count()).to.equal(3);
    expect(await cards.first().getAttribute('data-status')).to.equal('planned');
    expect(await cards.nth(1).getByTestId('action-items').innerText()).to.include('Draft the family-engagement plan').and.to.include('(carried over)');
    expect(await cards.first().getByTestId('ics-link').isVisible()).to.equal(true);
    // The new form starts with the two open items (the carried one and the survey).
    expect(await page.locator('#item-0-text').inputValue()).to.equal('Draft the family-engagement plan');
    expect(await page.locator('#item-1-text').inputValue()).to.equal('Write the family survey');
    // Three rows show (the two open items and a blank one); the other blank rows wait behind a disclosure.
    expect(await page.getByTestId('action-row').filter({ visible: true }).count()).to.equal(3);
    expect(await page.getByTestId('more-action-rows').getAttribute('open')).to.equal(null);
    const goal = page.getByTestId('goal');
    expect(await goal.count()).to.equal(1);
    expect(await goal.getByRole('progressbar').getAttribute('aria-valuenow')).to.equal('60');
    // With a goal in place, the goal form is one line until asked for.
    expect(await page.getByTestId('goal-form').isVisible()).to.equal(false);
    // Each history row names its record: the goal by title, a check-in by its meeting day.
    const trail = await page.getByTestId('mentorship-trail').locator('td[data-label="What"]').allInnerTexts();
    expect(trail.map((t) => t.replace(/“[^”]*”/, '“…”').replace(/of [A-Z][a-z]+ \d{1,2}, \d{4}/, 'of …'))).to.deep.equal(['Goal “…” — progress updated', 'Goal “…” — added', 'Check-in of … — planned', 'Check-in of … — recorded as held', 'Check-in of … — recorded as held']);
  });

  it('candidate: "Record as held" with a required part missing keeps what was typed, then saves once fixed', async () => {
    const own = await buildMentorshipCourse();
    await open(own.faculty, own.placement);
    await page.goto(await pageUrl(page, own, own.candidateA));
    await page.setViewportSize({ width: 400, height: 900 });
    await page.getByLabel('Date', { exact: true }).fill(day(-2));
    await page.getByRole('textbox', { name: /^Agenda/ }).fill('Talk through the first observation');
    await page.getByLabel('Action item 1', { exact: true }).fill('Share the observation notes');
    await page.getByRole('button', { name: 'Record as held' }).click();
    const summary = page.getByTestId('error-summary');
    await summary.waitFor();
    await page.waitForFunction(() => document.activeElement?.getAttribute('data-testid') === 'error-summary');
    expect(await summary.getByRole('link').allInnerTexts()).to.deep.equal(['Write your notes from the meeting.']);
    // Said once, beside the fields (no second banner at the top of the page).
    expect(await page.getByTestId('mentorship-flash').count()).to.equal(0);
    expect(await summary.getByRole('link').getAttribute('href')).to.equal('#ci-field-candidateNotes');
    expect(await page.locator('#ci-field-candidateNotes').getByRole('textbox').count()).to.equal(1);
    await saveScreenshot(page, 'mentorship-candidate-form-error-400');
    expect(await page.getByRole('textbox', { name: /^Agenda/ }).inputValue()).to.equal('Talk through the first observation');
    expect(await page.getByLabel('Action item 1', { exact: true }).inputValue()).to.equal('Share the observation notes');
    expect(await page.getByLabel('Date', { exact: true }).inputValue()).to.equal(day(-2));
    await page.getByRole('textbox', { name: /^Your notes/ }).fill('We agreed on what to observe next.');
    await page.getByRole('button', { name: 'Record as held' }).click();
    await page.getByTestId('mentorship-flash').waitFor();
    expect(await page.getByTestId('mentorship-flash').textContent()).to.equal('Check-in recorded as held. Your mentor can now sign it off.');
    expect(await page.getByTestId('error-summary').count()).to.equal(0);
    const saved = await checkInsOf(own, own.candidateA.sub);
    expect(saved.map((c) => [c.status, c.agenda, c.candidateNotes])).to.deep.equal([['held', 'Talk through the first observation', 'We agreed on what to observe next.']]);
  });

  it('LMS mentor: To sign off · Mentees; ticks a check-in and signs it off', async () => {
    const url = await pageUrl(page, course, course.mentorOfA);
    await checkAtEachWidth(page, url, 'mentorship-mentor', byTestId('review-form'), async () => {
      expect(await page.getByRole('button', { name: 'Sign off the ticked check-ins' }).isVisible()).to.equal(true);
      expect(await page.getByRole('button', { name: 'Ask for changes' }).isVisible()).to.equal(true);
    });
    expect(await sectionLinks(page)).to.deep.equal(['To sign off', 'Mentees']);
    expect(await page.getByRole('link', { name: /^Edit/ }).count(), 'a mentee’s check-in is not the mentor’s to edit').to.equal(0);
    expect(await page.getByTestId('fieldbook-role').textContent()).to.equal('Mentor');
    const ticks = page.getByTestId('review-form').locator('input[type="checkbox"][name="checkIns"]');
    expect(await ticks.count()).to.equal(2);
    expect(await page.getByTestId('compliance-row').count()).to.equal(1);
    expect(await page.getByTestId('compliance').textContent()).to.not.include(course.candidateB.name);
    await ticks.first().check();
    await page.getByRole('button', { name: 'Sign off the ticked check-ins' }).click();
    await page.getByTestId('mentorship-flash').waitFor();
    expect(await page.getByTestId('mentorship-flash').textContent()).to.equal('1 check-in signed off. The grade of this candidate was queued for the gradebook.');
    expect(await page.getByTestId('review-form').locator('input[name="checkIns"]').count()).to.equal(1);
    const statuses = (await checkInsOf(course, course.candidateA.sub)).map((c) => c.status);
    expect(statuses).to.deep.equal(['signed-off', 'held', 'planned']);
  });

  it('faculty: the compliance table with an overdue row and a pulse flag, then a candidate’s own page', async () => {
    const url = await pageUrl(page, course, course.faculty);
    await checkAtEachWidth(page, url, 'mentorship-faculty', byTestId('compliance-table'));
    expect(await sectionLinks(page)).to.deep.equal(['Compliance', 'Awaiting sign-off', 'Grades', 'Settings']);
    const rows = page.getByTestId('compliance-row');
    expect(await rows.count()).to.equal(3);
    // Most urgent first: the overdue candidate leads the table.
    expect(await rows.first().getAttribute('data-candidate')).to.equal(overdue.sub);
    expect(await rows.first().getByTestId('overdue').isVisible()).to.equal(true);
    const flagged = page.locator(`[data-testid="compliance-row"][data-candidate="${course.candidateB.sub}"]`);
    expect(await flagged.getByTestId('row-pulse-flag').textContent()).to.equal('Asked for support');
    expect(await page.getByTestId('mentorship-csv').isVisible()).to.equal(true);
    expect(await page.getByRole('link', { name: /^Edit/ }).count()).to.equal(0);
    await flagged.getByRole('link').click();
    await page.getByTestId('mentorship-candidate').waitFor();
    await checkAtEachWidth(page, page.url(), 'mentorship-faculty-candidate', byTestId('mentorship-candidate'));
    expect(await page.getByRole('heading', { level: 2, name: course.candidateB.name }).isVisible()).to.equal(true);
    expect(await page.getByTestId('pulse').innerText()).to.include('What would help: More time with my principal');
    expect(await page.getByTestId('pulse-flag').first().isVisible()).to.equal(true);
    await page.getByText('Return to the candidate').click();
    expect(await page.getByRole('button', { name: 'Return with comment' }).isVisible()).to.equal(true);
    expect(await page.getByRole('link', { name: /^Edit/ }).count()).to.equal(0);
    await page.getByTestId('back-to-compliance').click();
    await page.getByTestId('compliance-table').waitFor();
  });

  it('coordinator: the compliance table read-only — no sign-off, return or grades', async () => {
    const url = await coordinatorUrl(page, course);
    await checkAtEachWidth(page, url, 'mentorship-coordinator', byTestId('compliance-table'));
    expect(await sectionLinks(page)).to.deep.equal(['Compliance', 'Awaiting sign-off']);
    expect(await page.getByTestId('fieldbook-role').textContent()).to.equal('Program coordinator');
    expect(await page.getByTestId('compliance-row').count()).to.equal(3);
    expect(await page.getByRole('link', { name: /^Edit/ }).count()).to.equal(0);
    for (const name of [/Sign off/, /Ask for changes/, /Return/, /Send grade/]) expect(await page.getByRole('button', { name }).count(), String(name)).to.equal(0);
    expect(await page.locator('form[action="/lti/mentorship/return"], form[action="/lti/mentorship/review"], #grades').count()).to.equal(0);
  });

  it('emailed mentor: the check-ins part of their home page, sign-off and notes reachable at 400 px, no unshared pulse', async () => {
    const email = `marta-${course.id.slice(-6)}@district.example`;
    const b = await open(course.candidateB, course.placement);
    expect((await post(b, '/lti/mentorship/mentor', { mentorName: 'Marta Site', mentorEmail: email })).status).to.equal(200);
    const [mail] = await findSandboxMailTo(email);
    const token = /\/access\/([A-Za-z0-9._-]+)/.exec(mail.text)![1];
    const s = sessionFromLocation((await anonymous().post('/access/redeem').type('form').send({ token })).headers.location as string);
    await checkAtEachWidth(page, `${testServer().baseUrl}/access/home?s=${encodeURIComponent(s)}`, 'mentorship-external-mentor', byTestId('external-checkins'));
    expect(await page.getByTestId('checkins-awaiting-count').textContent()).to.equal('1 check-in is waiting for your sign-off.');
    expect(await page.getByRole('button', { name: 'Sign off the ticked check-ins' }).isVisible()).to.equal(true);
    expect(await page.getByText('Your notes and action items').first().isVisible()).to.equal(true);
    // B did not share the pulse: its answers are not on the mentor's page.
    expect(await page.locator('body').innerText()).to.not.include('More time with my principal');
    expect(await page.getByTestId('pulse').count()).to.equal(0);
  });
});
