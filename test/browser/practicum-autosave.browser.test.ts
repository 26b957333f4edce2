import { expect } from 'chai';
import mongoose from 'mongoose';
import type { Page } from 'playwright-core';
import { PracticumEntryModel } from '../../src/practicum/practicum-entry.model';
import { addSandboxPerson, createSandboxCourse, type SandboxPersonView, type SandboxPlacementView } from '../../src/sandbox';
import { placeActivity } from '../helpers/activity-kit';
import { expectAccessible, toolFrame, usePagePerTest } from '../helpers/browser';
import { testServer } from '../helpers/test-server';

const copyKey = (activityId: string, sub: string) => `fieldbook-practicum:${activityId}:${sub}:new`;

/** Autosave of the candidate's entry form: drafts on the server, a copy on the device, restore after an expired session. */
describe('browser: practicum entry autosave', function () {
  this.timeout(120_000);
  let page: Page;
  let candidate: SandboxPersonView;
  let placed: SandboxPlacementView;

  usePagePerTest((p) => (page = p));
  before(async () => {
    const suffix = Math.random().toString(36).slice(2, 8);
    const course = await createSandboxCourse({ title: `EDL 697 — Autosave ${suffix}`, label: `EDL697-${suffix}` });
    candidate = await addSandboxPerson(course.id, { name: `Cam Autosave ${suffix}`, roles: 'candidate' });
    const faculty = await addSandboxPerson(course.id, { name: `Dr. Fay Saver ${suffix}`, roles: 'faculty' });
    placed = await placeActivity({ courseId: course.id, facultyId: faculty.id, title: `Autosaved hours ${suffix}`, points: 20 });
  });

  const launch = async () => {
    await page.goto(`${testServer().baseUrl}/sandbox/launch/${placed.id}/${candidate.id}`);
    const view = await toolFrame(page);
    await view.getByTestId('entry-form').waitFor();
    return view;
  };
  const entriesOfCandidate = () => PracticumEntryModel.find({ activityId: placed.custom.activity_id, candidateSub: candidate.sub }).lean();

  it('saves what is typed as a draft about 10 s later, then keeps updating the same draft', async () => {
    const view = await launch();
    await expectAccessible(view, 'candidate entry form with autosave');
    await view.locator('#hours').fill('1.25');
    await view.locator('#description').fill('Shadowed the assistant principal at arrival duty.');
    expect(await view.evaluate((k) => window.localStorage.getItem(k), copyKey(placed.custom.activity_id, candidate.sub))).to.include('Shadowed the assistant principal');
    const status = view.getByTestId('autosave-status');
    await view.getByText(/^Draft saved \d\d:\d\d$/).waitFor({ timeout: 20_000 });
    expect(await status.getAttribute('aria-live')).to.equal('polite');
    const [draft] = await entriesOfCandidate();
    expect(draft).to.include({ status: 'draft', minutes: 75, description: 'Shadowed the assistant principal at arrival duty.' });
    expect(await view.locator('input[name="entryId"]').inputValue()).to.equal(String(draft._id));
    // Saved on the server: the on-device copy is dropped.
    expect(await view.evaluate((k) => window.localStorage.getItem(k), copyKey(placed.custom.activity_id, candidate.sub))).to.equal(null);

    await view.locator('#reflection').fill('Arrival routines set the tone for the day.');
    await status.filter({ hasText: 'Draft saved' }).waitFor();
    for (const deadline = Date.now() + 20_000; Date.now() < deadline; await page.waitForTimeout(250)) {
      const [again] = await entriesOfCandidate();
      if (again.reflection) break;
    }
    const all = await entriesOfCandidate();
    expect(all).to.have.length(1);
    expect(all[0]).to.include({ reflection: 'Arrival routines set the tone for the day.', status: 'draft' });
    // The server writes before its answer reaches the page: wait for the page to take the new version.
    const version = view.locator('input[name="version"]');
    for (const deadline = Date.now() + 10_000; Date.now() < deadline && (await version.inputValue()) !== String(all[0].version); ) await page.waitForTimeout(100);
    expect(await version.inputValue()).to.equal(String(all[0].version));
    await expectAccessible(view, 'entry form after an autosave');
  });

  it('keeps what was typed through an expired session and restores it after relaunching', async () => {
    await PracticumEntryModel.deleteMany({ activityId: placed.custom.activity_id, candidateSub: candidate.sub });
    let view = await launch();
    await view.locator('#siteName').fill('Roosevelt Middle School');
    await view.locator('#description').fill('Ran the PLC meeting on reading data; wrote this before my session ended.');
    // The session ends (as after hours idle): ltijs no longer knows this user's id token.
    await mongoose.connection.collection('idtokens').deleteMany({ user: candidate.sub });
    await view.getByRole('button', { name: 'Save draft' }).click();
    await page.frameLocator('iframe').getByText('Please launch Fieldbook from your course').waitFor();
    expect(await entriesOfCandidate()).to.have.length(0);

    view = await launch();
    await view.getByTestId('autosave-restored').waitFor();
    expect(await view.locator('#description').inputValue()).to.equal('Ran the PLC meeting on reading data; wrote this before my session ended.');
    expect(await view.locator('#siteName').inputValue()).to.equal('Roosevelt Middle School');
    expect(await view.getByTestId('autosave-status').textContent()).to.include('Restored text you typed earlier');
    await expectAccessible(view, 'entry form with restored text');

    // Discarding puts the form back as the server rendered it and forgets the copy.
    await view.getByRole('button', { name: 'Discard restored text' }).click();
    expect(await view.locator('#description').inputValue()).to.equal('');
    expect(await view.getByTestId('autosave-restored').isHidden()).to.equal(true);
    view = await launch();
    expect(await view.getByTestId('autosave-restored').isHidden()).to.equal(true);
    expect(await view.locator('#description').inputValue()).to.equal('');
  });

  it('a restored copy is saved as a draft and then forgotten; a submitted form clears the copy', async () => {
    await PracticumEntryModel.deleteMany({ activityId: placed.custom.activity_id, candidateSub: candidate.sub });
    let view = await launch();
    await view.locator('#description').fill('Typed, then the session ended again.');
    await mongoose.connection.collection('idtokens').deleteMany({ user: candidate.sub });
    view = await launch();
    expect(await view.locator('#description').inputValue()).to.equal('Typed, then the session ended again.');
    await view.getByText(/^Draft saved \d\d:\d\d$/).waitFor({ timeout: 20_000 });
    const [draft] = await entriesOfCandidate();
    expect(draft).to.include({ status: 'draft', description: 'Typed, then the session ended again.' });

    await view.locator('#description').fill('Typed, then the session ended again — and saved by hand.');
    await view.getByRole('button', { name: 'Save draft' }).click();
    await page.frameLocator('iframe').getByTestId('practicum-flash').getByText('Draft saved.').waitFor();
    view = await toolFrame(page);
    expect(await view.evaluate((k) => window.localStorage.getItem(k), copyKey(placed.custom.activity_id, candidate.sub))).to.equal(null);
    const all = await entriesOfCandidate();
    expect(all).to.have.length(1);
    expect(all[0].description).to.equal('Typed, then the session ended again — and saved by hand.');
  });
});
