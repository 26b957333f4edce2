import { expect } from 'chai';
import request from 'supertest';
import { LoginStateModel } from '../../src/lti/guard/guard.models';
import { registerPlatform } from '../../src/lti/platform-registry';
import { testServer } from '../helpers/test-server';
import { createTestPlatform, launchUrl, login, random, type TestPlatform } from './forge';

describe('LTI login guard', function () {
  this.timeout(60_000);
  let platform: TestPlatform;
  let inactiveClientId: string;
  before(async () => {
    platform = await createTestPlatform();
    inactiveClientId = `inactive-${random()}`;
    await registerPlatform(
      { issuer: platform.issuer, name: 'Inactive', clientId: inactiveClientId, authEndpoint: `${platform.issuer}/auth`, tokenEndpoint: `${platform.issuer}/token`, jwksUrl: `${platform.issuer}/jwks`, deploymentIds: [], active: false, registeredBy: 'cli' },
      { allowHttp: true },
    );
  });
  after(() => platform.close());

  const good = () => ({ iss: platform.issuer, client_id: platform.clientId, login_hint: 'hint', target_link_uri: launchUrl(), lti_deployment_id: platform.deploymentId });

  async function expectLoginRefused(params: Record<string, string | undefined>, status: number, error: string) {
    const before = await LoginStateModel.countDocuments({});
    const query = Object.fromEntries(Object.entries(params).filter(([, v]) => v !== undefined));
    const res = await request(testServer().baseUrl).get('/lti/login').set('Accept', 'application/json').query(query);
    expect(res.status, res.text).to.equal(status);
    expect(res.body.error).to.equal(error);
    expect(([] as string[]).concat(res.headers['set-cookie'] ?? []).filter((c) => c.startsWith('state')), 'no state cookie').to.deep.equal([]);
    expect(await LoginStateModel.countDocuments({})).to.equal(before);
    expect((await request(testServer().baseUrl).get('/health')).status).to.equal(200);
  }

  it('stores a login record bound to the state and our own nonce', async () => {
    const { state, nonce } = await login(platform);
    const record = await LoginStateModel.findOne({ state }).lean();
    expect(record).to.include({ nonce, iss: platform.issuer, clientId: platform.clientId, targetLinkUri: launchUrl(), loginHint: 'hint', deploymentId: platform.deploymentId });
    expect(nonce).to.match(/^[A-Za-z0-9_-]{32}$/);
    expect(record!.expiresAt.getTime()).to.be.greaterThan(Date.now());
  });

  it('asks for client_id when the issuer has several registrations, and accepts a POST form', async () => {
    const res = await request(testServer().baseUrl).post('/lti/login').type('form').send({ iss: platform.issuer, login_hint: 'hint', target_link_uri: launchUrl() });
    // Two registrations exist for this issuer (one inactive), so client_id is required here.
    expect(res.status).to.equal(400);
    const ok = await request(testServer().baseUrl).post('/lti/login').type('form').send(good());
    expect(ok.status).to.equal(302);
  });

  it('refuses a login without iss', () => expectLoginRefused({ ...good(), iss: undefined }, 400, 'lti_login_invalid'));
  it('refuses a login without login_hint', () => expectLoginRefused({ ...good(), login_hint: undefined }, 400, 'lti_login_invalid'));
  it('refuses a login without target_link_uri', () => expectLoginRefused({ ...good(), target_link_uri: undefined }, 400, 'lti_login_invalid'));
  it('refuses an unknown iss', () => expectLoginRefused({ ...good(), iss: `https://unknown-${random()}.test` }, 400, 'lti_unknown_issuer'));
  it('refuses a known iss with an unknown client_id', () => expectLoginRefused({ ...good(), client_id: `nobody-${random()}` }, 400, 'lti_unknown_client'));
  it('refuses an inactive platform', () => expectLoginRefused({ ...good(), client_id: inactiveClientId, lti_deployment_id: undefined }, 403, 'lti_inactive_platform'));
  it('refuses a target_link_uri on another host', () => expectLoginRefused({ ...good(), target_link_uri: 'https://evil.example/lti/launch' }, 400, 'lti_bad_target_link_uri'));
  it('refuses a target_link_uri on our host outside /lti', () => expectLoginRefused({ ...good(), target_link_uri: `${testServer().baseUrl}/sandbox` }, 400, 'lti_bad_target_link_uri'));
  it('refuses an unknown lti_deployment_id', () => expectLoginRefused({ ...good(), lti_deployment_id: `dep-${random()}` }, 400, 'lti_unknown_deployment'));
});
