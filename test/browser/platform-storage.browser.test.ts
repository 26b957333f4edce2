import { expect } from 'chai';
import type { Frame, Page } from 'playwright-core';
import { addSandboxPerson, createSandboxCourse, createSandboxPlacement } from '../../src/sandbox';
import { saveScreenshot, usePagePerTest } from '../helpers/browser';
import { testServer } from '../helpers/test-server';

/** The tool's frame once it left the login/storage steps (a page under /lti other than login). */
async function toolFrame(page: Page, toolOrigin: string): Promise<Frame> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const frame = page.frames().find((f) => f.url().startsWith(`${toolOrigin}/lti/`) && !f.url().includes('/lti/login'));
    if (frame) {
      await frame.waitForLoadState('load');
      return frame;
    }
    if (Date.now() > deadline) throw new Error(`Tool frame did not load; frames: ${page.frames().map((f) => f.url()).join(', ')}`);
    await page.waitForTimeout(100);
  }
}

/**
 * Third-party cookies blocked: the Sandbox page is opened on http://localhost:PORT while the tool
 * (PUBLIC_URL) is http://127.0.0.1:PORT — another site, so the tool iframe is third-party.
 */
describe('browser: launch with third-party cookies blocked (LTI platform storage)', function () {
  this.timeout(120_000);
  let page: Page;
  let sandboxUrl: string;
  let toolOrigin: string;

  usePagePerTest((p) => (page = p), ['--test-third-party-cookie-phaseout']);
  before(() => {
    const { baseUrl } = testServer();
    toolOrigin = new URL(baseUrl).origin;
    sandboxUrl = `http://localhost:${new URL(baseUrl).port}`;
  });

  async function candidateLaunch(): Promise<{ placementId: string; personId: string; name: string }> {
    const suffix = Math.random().toString(36).slice(2, 8);
    const course = await createSandboxCourse({ title: `EDL 650 — Cookies ${suffix}`, label: `EDL650-${suffix}` });
    const candidate = await addSandboxPerson(course.id, { name: `Noor Haddad ${suffix}`, roles: 'candidate' });
    const nav = await createSandboxPlacement(course.id, { kind: 'course_navigation', title: 'Fieldbook' });
    return { placementId: nav.id, personId: candidate.id, name: candidate.name };
  }

  it('without platform storage the launch fails (proves third-party cookies are blocked)', async () => {
    const { placementId, personId } = await candidateLaunch();
    await page.goto(`${sandboxUrl}/sandbox/launch/${placementId}/${personId}`);
    const frame = await toolFrame(page, toolOrigin);
    await frame.waitForFunction(() => document.body && document.body.innerText.length > 0);
    const text = await frame.evaluate(() => document.body.innerText);
    expect(text).to.contain('lti_state_cookie_missing');
    expect(await frame.getByTestId('fieldbook-role').count()).to.equal(0);
    // Even a SameSite=None; Secure cookie is refused in this iframe; a Partitioned one is kept (CHIPS).
    const probe = await frame.evaluate(() => {
      document.cookie = 'fb_probe=1; SameSite=None; Secure; Path=/';
      document.cookie = 'fb_probe_chips=1; SameSite=None; Secure; Partitioned; Path=/';
      return document.cookie;
    });
    expect(probe).not.to.contain('fb_probe=1');
    expect(probe).to.contain('fb_probe_chips=1');
  });

  it('with platform storage (Canvas-style post_message_forwarding frame) the launch succeeds and the session works', async () => {
    const { placementId, personId, name } = await candidateLaunch();
    await page.goto(`${sandboxUrl}/sandbox/launch/${placementId}/${personId}?storage=forwarding`);
    const frame = page.frameLocator('iframe.sandbox-tool-frame');
    await frame.getByTestId('fieldbook-role').waitFor({ timeout: 20_000 });
    expect(await frame.getByTestId('fieldbook-role').textContent()).to.equal('Candidate');
    expect(await frame.getByTestId('person-name').textContent()).to.equal(name);
    // The session cookie is partitioned under the Sandbox's site and no unpartitioned tool cookie exists.
    const cookies = await page.context().cookies(toolOrigin);
    const session = cookies.filter((c) => c.name.startsWith('lti'));
    expect(session, JSON.stringify(cookies)).to.have.length(1);
    expect(session[0]).to.include({ secure: true, sameSite: 'None' });
    await saveScreenshot(page, 'platform-storage-candidate');
  });
});
