import { expect } from 'chai';
import request from 'supertest';
import { LoginStateModel, ParkedLaunchModel, usedNonceId, UsedNonceModel } from '../../src/lti/guard/guard.models';
import { decodeHtml } from '../helpers/sandbox-launch';
import { testServer } from '../helpers/test-server';
import { createTestPlatform, launchUrl, signFor, uniqueSub, validClaims, writtenFor, type TestPlatform } from './forge';

/** data-* attributes of the storage page's root element. */
function storageData(html: string): Record<string, string> {
  const tag = /<div id="lti-platform-storage"[^>]*>/.exec(html)?.[0];
  if (!tag) throw new Error(`not a storage page:\n${html.slice(0, 400)}`);
  return Object.fromEntries([...tag.matchAll(/data-([a-z-]+)="([^"]*)"/g)].map((m) => [m[1], decodeHtml(m[2])]));
}

function launchIdOf(html: string): string {
  return decodeHtml(/name="launch_id" value="([^"]+)"/.exec(html)?.[1] ?? '');
}

function sessionCookies(res: request.Response): string[] {
  return ([] as string[]).concat(res.headers['set-cookie'] ?? []).filter((c) => c.startsWith('lti'));
}

describe('LTI platform storage (login and launch without third-party cookies)', function () {
  this.timeout(60_000);
  let platform: TestPlatform;
  before(async () => {
    platform = await createTestPlatform();
  });
  after(() => platform.close());

  /** A storage login in one "browser", then the platform's form_post arriving WITHOUT any cookie. */
  async function storageLogin(target = 'post_message_forwarding') {
    const res = await request(testServer().baseUrl)
      .get('/lti/login')
      .query({ iss: platform.issuer, client_id: platform.clientId, login_hint: 'hint', target_link_uri: launchUrl(), lti_deployment_id: platform.deploymentId, lti_storage_target: target });
    expect(res.status, res.text).to.equal(200);
    return { res, data: storageData(res.text) };
  }

  async function parkedLaunch() {
    const { data } = await storageLogin();
    const sub = uniqueSub();
    const idToken = await signFor(platform, validClaims(platform, data.nonce, sub));
    const res = await request(testServer().baseUrl).post('/lti/launch').type('form').send({ id_token: idToken, state: data.state });
    expect(res.status, res.text).to.equal(200);
    return { sub, state: data.state, launchId: launchIdOf(res.text), res, idToken };
  }

  const confirm = (form: Record<string, string>) => request(testServer().baseUrl).post('/lti/storage/confirm').set('Accept', 'application/json').type('form').send(form);

  it('login with lti_storage_target answers the storage page (external script only) and keeps state and nonce server side', async () => {
    const { res, data } = await storageLogin();
    expect(res.headers['cache-control']).to.equal('no-store');
    expect(data.mode).to.equal('login');
    expect(data.target).to.equal('post_message_forwarding');
    expect(data.origin).to.equal(new URL(`${platform.issuer}/auth`).origin);
    const auth = new URL(data['auth-url']);
    expect(auth.origin + auth.pathname).to.equal(`${platform.issuer}/auth`);
    expect(auth.searchParams.get('state')).to.equal(data.state);
    expect(auth.searchParams.get('nonce')).to.equal(data.nonce);
    expect(res.text).to.contain('<script src="/static/lti/platform-storage.js"></script>');
    expect(res.text).not.to.match(/<script(?![^>]*\bsrc=)[^>]*>/);
    const login = await LoginStateModel.findOne({ state: data.state }).lean();
    expect(login).to.include({ nonce: data.nonce, storageTarget: 'post_message_forwarding', storageOrigin: data.origin, iss: platform.issuer });
  });

  it('refuses an lti_storage_target that is not a frame name', async () => {
    const res = await request(testServer().baseUrl)
      .get('/lti/login')
      .set('Accept', 'application/json')
      .query({ iss: platform.issuer, client_id: platform.clientId, login_hint: 'hint', target_link_uri: launchUrl(), lti_storage_target: 'javascript:alert(1)' });
    expect(res.status).to.equal(400);
    expect(res.body.error).to.equal('lti_login_invalid');
  });

  it('a launch without the state cookie after a storage login is validated, parked and answered with the get_data page — no session yet', async () => {
    const { sub, state, launchId, res } = await parkedLaunch();
    const data = storageData(res.text);
    expect(data).to.include({ mode: 'launch', state, target: 'post_message_forwarding', origin: new URL(platform.issuer).origin });
    expect(launchId).to.have.length.greaterThan(20);
    expect(res.text).to.contain('action="/lti/storage/confirm"');
    expect(sessionCookies(res)).to.deep.equal([]);
    expect(await writtenFor(sub)).to.equal(0);
    expect(await ParkedLaunchModel.countDocuments({ launchId, state })).to.equal(1);
    const login = await LoginStateModel.findOne({ state }).lean();
    expect(await UsedNonceModel.exists({ _id: usedNonceId(platform.issuer, login!.nonce) }), 'the login nonce is used up').to.not.equal(null);
  });

  it('a forged id_token on the storage path is refused before anything is parked', async () => {
    const { data } = await storageLogin();
    const sub = uniqueSub();
    const other = await createTestPlatform();
    try {
      const forged = await signFor({ ...platform, privateKey: other.privateKey }, validClaims(platform, data.nonce, sub));
      const res = await request(testServer().baseUrl).post('/lti/launch').set('Accept', 'application/json').type('form').send({ id_token: forged, state: data.state });
      expect(res.status).to.equal(401);
      expect(res.body.error).to.equal('lti_signature_invalid');
      expect(await ParkedLaunchModel.countDocuments({ state: data.state })).to.equal(0);
    } finally {
      await other.close();
    }
  });

  it('confirm with a wrong state is refused, opens no session and burns the one-time id', async () => {
    const { sub, state, launchId } = await parkedLaunch();
    const res = await confirm({ launch_id: launchId, state: `${state}x` });
    expect(res.status).to.equal(401);
    expect(res.body.error).to.equal('lti_storage_state_mismatch');
    expect(sessionCookies(res)).to.deep.equal([]);
    const again = await confirm({ launch_id: launchId, state });
    expect(again.status).to.equal(401);
    expect(again.body.error).to.equal('lti_storage_launch_unknown');
    expect(await writtenFor(sub)).to.equal(0);
  });

  it('confirm with an unknown, reused or expired one-time id is refused', async () => {
    expect((await confirm({ launch_id: 'not-a-real-launch-id', state: 'x' })).status).to.equal(401);
    expect((await confirm({ state: 'x' })).status).to.equal(400);

    const used = await parkedLaunch();
    expect((await confirm({ launch_id: used.launchId, state: used.state })).status).to.equal(302);
    const reused = await confirm({ launch_id: used.launchId, state: used.state });
    expect(reused.status).to.equal(401);
    expect(reused.body.error).to.equal('lti_storage_launch_unknown');
    expect(sessionCookies(reused)).to.deep.equal([]);

    const expired = await parkedLaunch();
    await ParkedLaunchModel.updateOne({ launchId: expired.launchId }, { $set: { expiresAt: new Date(Date.now() - 1000) } });
    const late = await confirm({ launch_id: expired.launchId, state: expired.state });
    expect(late.status).to.equal(401);
    expect(sessionCookies(late)).to.deep.equal([]);
    expect(await writtenFor(expired.sub)).to.equal(0);
  });

  it('the same id_token posted again after parking is a replay (409)', async () => {
    const { state, idToken } = await parkedLaunch();
    const res = await request(testServer().baseUrl).post('/lti/launch').set('Accept', 'application/json').type('form').send({ id_token: idToken, state });
    expect(res.status).to.equal(409);
  });

  it('the right confirmation opens the session with a SameSite=None; Secure; Partitioned cookie, and the ltik works with it (only with it)', async () => {
    const { sub, state, launchId } = await parkedLaunch();
    const res = await confirm({ launch_id: launchId, state });
    expect(res.status, res.text).to.equal(302);
    const location = new URL(res.headers.location as string, testServer().baseUrl);
    expect(location.pathname).to.equal('/lti/launch');
    expect(location.searchParams.get('ltik')).to.be.a('string');
    const [cookie] = sessionCookies(res);
    expect(cookie).to.match(/; Secure/i).and.to.match(/; SameSite=None/i).and.to.match(/; Partitioned/i).and.to.match(/; HttpOnly/i);
    expect(await writtenFor(sub)).to.equal(2);

    const withCookie = await request(testServer().baseUrl).get(location.pathname + location.search).set('Cookie', cookie.split(';')[0]);
    expect(withCookie.status, withCookie.text).to.equal(200);
    expect(await writtenFor(sub)).to.equal(3);
    const withoutCookie = await request(testServer().baseUrl).get(location.pathname + location.search);
    expect(withoutCookie.status).to.equal(401);
  });
});
