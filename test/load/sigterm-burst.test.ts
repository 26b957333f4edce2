import { expect } from 'chai';
import { buildLoadClass, entryForm, inBatches, problemsOf, submitFrom, type LoadClass, type OpenForm } from '../helpers/practicum-load';
import { SandboxBrowser, type Answer } from '../helpers/sandbox-browser';
import { startInstance, type Instance } from './load-kit';

const CANDIDATES = 16;
const TABS = 3;

/**
 * A deploy at the deadline: `npm start` gets SIGTERM while a class's submits are in flight. The
 * process drains — every request it had accepted gets a whole HTTP answer, none is cut or reset —
 * exits 0, and nothing is half-applied: each answered submit is stored once, as submitted, and
 * every candidate's progress document equals their entries.
 */
describe('SIGTERM during a burst of submits', function () {
  this.timeout(150_000);
  let instance: Instance;
  let cls: LoadClass;
  let tabs: OpenForm[][];

  before(async function () {
    this.timeout(120_000);
    // Room to drain on a loaded 2-core machine; the send timeout stays 1 s below it (config rule).
    instance = await startInstance({ env: { SHUTDOWN_TIMEOUT_MS: '40000' } });
    cls = await buildLoadClass(instance.origin, CANDIDATES, { rulePackId: 'custom', requiredHours: '10' });
    tabs = await inBatches(cls.candidates, 8, async (c) => {
      const browser = new SandboxBrowser(instance.origin);
      const launched = await browser.launch(cls.placement.id, c.id);
      const first = await entryForm(browser, launched.ltik, launched.text);
      const more = await Promise.all(Array.from({ length: TABS - 1 }, () => entryForm(browser, launched.ltik)));
      return [first, ...more];
    });
  });

  after(() => instance?.proc.cleanUp());

  it('drains: exit 0, every accepted request answered in full, nothing half-applied', async () => {
    const outcomes: (Answer | Error)[] = new Array(CANDIDATES * TABS);
    const answered: number[] = [];
    const burst = tabs.flatMap((forms, i) =>
      forms.map((form, k) =>
        submitFrom(form, i, k).then(
          (answer) => {
            outcomes[i * TABS + k] = answer;
            answered.push(i * TABS + k);
          },
          (err: Error) => (outcomes[i * TABS + k] = err),
        ),
      ),
    );
    // Once a few answers are back the event loop has turned many times: every connection of the
    // burst has been accepted (libuv accepts all pending ones per turn), so none waits in the
    // kernel's queue, where a closing listener would reset it.
    for (const deadline = Date.now() + 60_000; answered.length < 3 && Date.now() < deadline; ) await new Promise((r) => setTimeout(r, 20));
    // Since the embedded database answers in milliseconds, the first answers can come back before
    // the client has opened the burst's last connections: a connection still in the kernel's queue
    // when the listener closes is reset (a proxy sends it elsewhere). A moment more, so the burst
    // is all accepted and still mostly in flight (asserted below).
    await new Promise((r) => setTimeout(r, 500));
    expect(answered.length, 'some submits answered before SIGTERM').to.be.at.least(3);
    expect(answered.length, 'SIGTERM arrives while submits are still in flight').to.be.below(CANDIDATES * TABS);
    instance.proc.child.kill('SIGTERM');
    const code = await instance.proc.exited;
    await Promise.all(burst);

    expect(code, instance.proc.output().slice(-2000)).to.equal(0);
    const errors = outcomes.filter((o): o is Error => o instanceof Error).map((e) => `${e.message} ${String((e as { cause?: unknown }).cause ?? '')}`);
    expect(errors, 'no connection cut or reset').to.deep.equal([]);
    const statuses = (outcomes as Answer[]).map((a) => a.status);
    // Requests accepted before SIGTERM finish; a late one on a draining connection may be told to come back.
    expect(statuses.filter((s) => s !== 200 && s !== 503), 'only 200, or 503 to retry elsewhere').to.deep.equal([]);
    expect(statuses.filter((s) => s === 200).length, 'the submits in flight at SIGTERM finished').to.be.greaterThan(answered.length - 1);

    for (const [i, c] of cls.candidates.entries()) {
      const mine = Array.from({ length: TABS }, (_, k) => ({ i, k, status: statuses[i * TABS + k] }));
      expect(
        await problemsOf(cls.activityId, {
          candidateSub: c.sub,
          submitted: mine.filter((m) => m.status === 200),
          unanswered: mine.filter((m) => m.status !== 200),
          autosaved: [],
        }),
      ).to.deep.equal([]);
    }
  });
});
