import { expect } from 'chai';
import request from 'supertest';
import { LoginStateModel, UsedNonceModel } from '../../src/lti/guard/guard.models';
import { testServer } from '../helpers/test-server';
import { createTestPlatform, expectAccepted, expectRefused, login, newKey, random, sign, signFor, uniqueSub, validClaims, writtenFor, type TestPlatform } from './forge';

describe('LTI launch guard: transport and state', function () {
  this.timeout(60_000);
  let platform: TestPlatform;
  before(async () => {
    platform = await createTestPlatform();
  });
  after(() => platform.close());

  it('refuses a POST without id_token or ltik', async () => {
    const sub = uniqueSub();
    const res = await expectRefused(request.agent(testServer().baseUrl), { state: 'x' }, sub, { status: 401 });
    // ltijs's own invalid-token handler answers (HTML only).
    expect(res.text).to.contain('invalid_lti_launch');
  });

  it('refuses a garbage JWT', async () => {
    const { agent, state } = await login(platform);
    await expectRefused(agent, { id_token: 'not.a.jwt', state }, uniqueSub(), { status: 400, error: 'lti_jwt_malformed' });
  });

  it('refuses a launch without state', async () => {
    const sub = uniqueSub();
    const { agent, nonce } = await login(platform);
    await expectRefused(agent, { id_token: await signFor(platform, validClaims(platform, nonce, sub)) }, sub, { status: 400, error: 'lti_launch_form_invalid' });
  });

  it('refuses a launch whose state cookie is missing, without burning the real login', async () => {
    const sub = uniqueSub();
    const { agent, state, nonce } = await login(platform);
    const idToken = await signFor(platform, validClaims(platform, nonce, sub));
    await expectRefused(request.agent(testServer().baseUrl), { id_token: idToken, state }, sub, { status: 401, error: 'lti_state_cookie_missing' });
    await expectAccepted(agent, { id_token: idToken, state }, sub);
  });

  it('refuses a launch whose cookie is for another state than the body', async () => {
    const sub = uniqueSub();
    const mine = await login(platform);
    const theirs = await login(platform);
    const idToken = await signFor(platform, validClaims(platform, theirs.nonce, sub));
    await expectRefused(mine.agent, { id_token: idToken, state: theirs.state }, sub, { status: 401, error: 'lti_state_cookie_missing' });
  });

  it('refuses a launch whose cookie issuer differs from the token iss', async () => {
    const sub = uniqueSub();
    const { agent, state, nonce } = await login(platform);
    const idToken = await signFor(platform, { ...validClaims(platform, nonce, sub), iss: `https://other-${random()}.test` });
    await expectRefused(agent, { id_token: idToken, state }, sub, { status: 401, error: 'lti_state_cookie_mismatch' });
  });

  it('refuses a tampered state cookie', async () => {
    const sub = uniqueSub();
    const { state, nonce } = await login(platform);
    const forged = request.agent(testServer().baseUrl);
    forged.set('Cookie', `state${state}=${encodeURIComponent(`s:${platform.issuer}.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA`)}`);
    const idToken = await signFor(platform, validClaims(platform, nonce, sub));
    await expectRefused(forged, { id_token: idToken, state }, sub, { status: 401, error: 'lti_state_cookie_missing' });
  });

  it('refuses the same id_token and state posted twice', async () => {
    const sub = uniqueSub();
    const { agent, state, nonce } = await login(platform);
    const form = { id_token: await signFor(platform, validClaims(platform, nonce, sub)), state };
    await expectAccepted(agent, form, sub);
    const res = await agent.post('/lti/launch').set('Accept', 'application/json').type('form').send(form);
    expect(res.status).to.equal(409);
    expect(res.body.error).to.equal('lti_launch_replayed');
    expect(await writtenFor(sub)).to.equal(3);
  });

  it('lets only one of two simultaneous posts of the same launch through', async () => {
    const sub = uniqueSub();
    const { agent, state, nonce } = await login(platform);
    const form = { id_token: await signFor(platform, validClaims(platform, nonce, sub)), state };
    const results = await Promise.all([1, 2].map(() => agent.post('/lti/launch').set('Accept', 'application/json').type('form').send(form)));
    expect(results.map((r) => r.status).sort()).to.deep.equal([302, 409]);
  });

  it('refuses a used nonce replayed with a fresh state, after the first state is gone', async () => {
    const sub = uniqueSub();
    const first = await login(platform);
    const idToken = await signFor(platform, validClaims(platform, first.nonce, sub));
    await expectAccepted(first.agent, { id_token: idToken, state: first.state }, sub);
    const second = await login(platform);
    const res = await second.agent.post('/lti/launch').set('Accept', 'application/json').type('form').send({ id_token: idToken, state: second.state });
    expect(res.status).to.equal(409);
    expect(res.body.error).to.equal('lti_launch_replayed');
  });

  it('refuses a nonce that was never issued for this state (unbound)', async () => {
    const sub = uniqueSub();
    const { agent, state } = await login(platform);
    await expectRefused(agent, { id_token: await signFor(platform, validClaims(platform, `made-up-${random()}`, sub)), state }, sub, { status: 401, error: 'lti_nonce_mismatch' });
  });

  it('does not let a forged token burn a real login', async () => {
    const sub = uniqueSub();
    const { agent, state, nonce } = await login(platform);
    const attacker = await newKey(platform.kid);
    const forged = await sign(validClaims(platform, nonce, sub), attacker.privateKey, { kid: platform.kid });
    await expectRefused(agent, { id_token: forged, state }, sub, { status: 401, error: 'lti_signature_invalid' });
    expect(await LoginStateModel.countDocuments({ state })).to.equal(1);
    expect(await UsedNonceModel.countDocuments({ nonce }), 'the nonce is not used up').to.equal(0);
    await expectAccepted(agent, { id_token: await signFor(platform, validClaims(platform, nonce, sub)), state }, sub);
  });

  it('refuses a login record that has expired', async () => {
    const sub = uniqueSub();
    const { agent, state, nonce } = await login(platform);
    await LoginStateModel.updateOne({ state }, { $set: { expiresAt: new Date(Date.now() - 1000) } });
    await expectRefused(agent, { id_token: await signFor(platform, validClaims(platform, nonce, sub)), state }, sub, { status: 401, error: 'lti_state_unknown' });
  });
});
