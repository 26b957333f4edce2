import { expect } from 'chai';
import { PracticumEntryModel } from '../../src/practicum/practicum-entry.model';
import { todayIso } from '../../src/practicum/practicum.page';
import { getSandboxGrade, getSandboxScores } from '../../src/sandbox';
import { freePort } from '../helpers/server-process';
import { buildLoadClass, entryForm, inBatches, problemsOf, submitFrom, type LoadClass, type OpenForm } from '../helpers/practicum-load';
import { SandboxBrowser } from '../helpers/sandbox-browser';
import { expectedScore, startInstance, stopInstance, type Instance } from './load-kit';

const CANDIDATES = 50;

/**
 * Two Fieldbook processes behind one PUBLIC_URL on one database, as the scale-out compose runs
 * them: 50 candidates each submit one entry through each instance at once, faculty approve each
 * entry through the other instance, and both grade senders run. Every entry is stored once, every
 * progress document equals its entries, and the Sandbox gradebook shows each candidate's grade
 * exactly as computed, having received it at most once per change and never the same score twice.
 */
describe('two instances on one database: a class submits, faculty approve', function () {
  this.timeout(150_000);
  let a: Instance;
  let b: Instance;
  let cls: LoadClass;

  before(async function () {
    this.timeout(120_000);
    const portA = await freePort();
    const shared = `http://127.0.0.1:${portA}`;
    // Started together, as a compose file starts them.
    [a, b] = await Promise.all([startInstance({ port: portA }), startInstance({ publicUrl: shared })]);
    cls = await buildLoadClass(a.origin, CANDIDATES, { rulePackId: 'custom', requiredHours: '10' });
  });

  after(async function () {
    this.timeout(60_000);
    const codes = await Promise.all([a, b].filter(Boolean).map(stopInstance));
    for (const i of [a, b]) i?.proc.cleanUp();
    expect(codes, 'both instances stop cleanly').to.deep.equal([0, 0]);
  });

  // Failed before the outbox's send path moved to delivery documents and a send queue: one
  // candidate's two approvals reached the Sandbox as 3 scores (a grade sent twice by the two senders).
  it(`${CANDIDATES * 2} submits and ${CANDIDATES * 2} approvals through both instances: records and gradebook exactly right`, async () => {
    const instances = [a.origin, b.origin];
    // Each candidate launches through one instance and keeps a tab on each.
    const tabs: OpenForm[][] = await inBatches(cls.candidates, 10, async (c, i) => {
      const browser = new SandboxBrowser(instances[i % 2]);
      const launched = await browser.launch(cls.placement.id, c.id);
      return [await entryForm(browser, launched.ltik, launched.text), await entryForm(browser.at(instances[(i + 1) % 2]), launched.ltik)];
    });

    const submits = await Promise.all(tabs.flatMap((t, i) => t.map((form, k) => submitFrom(form, i, k))));
    expect(submits.filter((r) => r.status !== 200).map((r) => `${r.status} ${r.text.slice(0, 120)}`), 'every submit answered 200').to.deep.equal([]);

    // Faculty open the activity on both instances and approve each entry through the other one.
    const faculty = new SandboxBrowser(a.origin);
    const { ltik } = await faculty.launch(cls.placement.id, cls.faculty.id);
    const approvals = await inBatches(cls.candidates, 12, async (c, i) => {
      const entries = await PracticumEntryModel.find({ activityId: cls.activityId, candidateSub: c.sub }).lean();
      return Promise.all(
        entries.map((e, k) => faculty.at(instances[(i + k) % 2]).postForm('/lti/practicum/entries/approve', { ltik, aid: cls.activityId, entries: `${String(e._id)}:${e.version}` })),
      );
    });
    expect(approvals.flat().filter((r) => r.status !== 200).map((r) => r.status), 'every approval answered 200').to.deep.equal([]);

    for (const [i, c] of cls.candidates.entries()) {
      expect(await problemsOf(cls.activityId, { candidateSub: c.sub, submitted: [0, 1].map((k) => ({ i, k })), autosaved: [], status: 'approved' })).to.deep.equal([]);
    }

    const lineItemId = cls.placement.lineItemId!;
    const expected = new Map(await Promise.all(cls.candidates.map(async (c) => [c.sub, await expectedScore(cls.activityId, c.sub, todayIso())] as const)));
    const shown = async () => Promise.all(cls.candidates.map(async (c) => ({ sub: c.sub, score: (await getSandboxGrade(lineItemId, c.sub))?.scoreGiven ?? null })));
    const deadline = Date.now() + 45_000;
    let cells = await shown();
    while (cells.some((g) => g.score !== expected.get(g.sub)) && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 500));
      cells = await shown();
    }
    expect(cells.filter((g) => g.score !== expected.get(g.sub)), 'every gradebook cell shows the computed grade').to.deep.equal([]);
    // A send still in flight would show up as an extra score: give both senders a moment.
    await new Promise((r) => setTimeout(r, 1500));
    for (const c of cls.candidates) {
      const received = (await getSandboxScores(lineItemId, c.sub)).reverse().map((s) => s.scoreGiven);
      expect(received.length, `${c.sub}: one score per grade change at most (two approvals)`).to.be.within(1, 2);
      expect(received.at(-1)).to.equal(expected.get(c.sub));
      expect(new Set(received).size, `${c.sub}: no score sent twice (${received.join(', ')})`).to.equal(received.length);
    }
  });
});
