import { createTestPlatform, DL, expectRefused, login, LTI, random, signFor, uniqueSub, validClaims, type TestPlatform } from './forge';

const now = () => Math.floor(Date.now() / 1000);

describe('LTI launch guard: claims', function () {
  this.timeout(60_000);
  let platform: TestPlatform;
  let siblingClientId: string;
  before(async () => {
    siblingClientId = `sibling-${random()}`;
    // A second registration of the same issuer: a trusted audience that is not us.
    platform = await createTestPlatform({ extraClientIds: [siblingClientId] });
  });
  after(() => platform.close());

  async function refuse(change: (claims: Record<string, unknown>) => void, error: string | RegExp, times?: { iat?: number; exp?: number }) {
    const sub = uniqueSub();
    const { agent, state, nonce } = await login(platform);
    const claims = validClaims(platform, nonce, sub);
    change(claims);
    await expectRefused(agent, { id_token: await signFor(platform, claims, times), state }, sub, { error });
  }

  it('refuses an unknown iss', () => refuse((c) => (c.iss = `https://unknown-${random()}.test`), 'lti_state_cookie_mismatch'));
  it('refuses aud that is not our client_id', () => refuse((c) => (c.aud = `someone-${random()}`), 'lti_aud_mismatch'));
  it('refuses an aud array with an untrusted member', () => refuse((c) => Object.assign(c, { aud: [platform.clientId, 'https://evil.example'], azp: platform.clientId }), 'lti_aud_untrusted'));
  it('refuses an aud array of several audiences without azp', () => refuse((c) => (c.aud = [platform.clientId, siblingClientId]), 'lti_azp_missing'));
  it('refuses azp that is not our client_id', () => refuse((c) => Object.assign(c, { aud: [platform.clientId, siblingClientId], azp: siblingClientId }), 'lti_azp_mismatch'));
  it('refuses an expired token', () => refuse(() => undefined, 'lti_token_expired', { iat: now() - 30, exp: now() - 20 }));
  it('refuses an iat too old', () => refuse(() => undefined, 'lti_iat_too_old', { iat: now() - 600, exp: now() + 300 }));
  it('refuses an iat in the future', () => refuse(() => undefined, 'lti_iat_future', { iat: now() + 120, exp: now() + 600 }));
  it('refuses nbf in the future', () => refuse((c) => (c.nbf = now() + 120), 'lti_token_not_yet_valid'));
  it('refuses a missing nonce', () => refuse((c) => delete c.nonce, 'lti_claim_nonce_missing'));
  it('refuses a missing message_type', () => refuse((c) => delete c[`${LTI}message_type`], 'lti_claim_message_type_missing'));
  it('refuses an unknown message_type', () => refuse((c) => (c[`${LTI}message_type`] = 'LtiSubmissionReviewRequest'), 'lti_claim_message_type_invalid'));
  it('refuses a missing version', () => refuse((c) => delete c[`${LTI}version`], 'lti_claim_version_missing'));
  it('refuses a version other than 1.3.0', () => refuse((c) => (c[`${LTI}version`] = '1.1.0'), 'lti_claim_version_invalid'));
  it('refuses a missing deployment_id', () => refuse((c) => delete c[`${LTI}deployment_id`], 'lti_claim_deployment_id_missing'));
  it('refuses a deployment_id over 255 characters', () => refuse((c) => (c[`${LTI}deployment_id`] = 'd'.repeat(256)), 'lti_claim_deployment_id_invalid'));
  it('refuses a deployment_id that is not ours', () => refuse((c) => (c[`${LTI}deployment_id`] = `dep-${random()}`), /^lti_(unknown_deployment|deployment_mismatch)$/));
  it('refuses a resource link launch without resource_link.id', () => refuse((c) => (c[`${LTI}resource_link`] = { title: 'no id' }), 'lti_claim_resource_link_id_missing'));
  it('refuses a resource link launch without resource_link', () => refuse((c) => delete c[`${LTI}resource_link`], 'lti_claim_resource_link_missing'));
  it('refuses a missing sub', () => refuse((c) => delete c.sub, 'lti_claim_sub_missing'));
  it('refuses a sub over 255 characters', () => refuse((c) => (c.sub = 's'.repeat(256)), 'lti_claim_sub_invalid'));
  it('refuses a missing roles claim (an empty array is accepted elsewhere)', () => refuse((c) => delete c[`${LTI}roles`], 'lti_claim_roles_missing'));
  it('refuses a deep linking request without deep_link_return_url', () =>
    refuse((c) => {
      c[`${LTI}message_type`] = 'LtiDeepLinkingRequest';
      c[`${DL}deep_linking_settings`] = { accept_types: ['ltiResourceLink'] };
    }, 'lti_claim_deep_link_return_url_missing'));
  it('refuses a deep linking request without deep_linking_settings', () => refuse((c) => (c[`${LTI}message_type`] = 'LtiDeepLinkingRequest'), 'lti_claim_deep_link_return_url_missing'));
  it('refuses a target_link_uri that differs from the login', () => refuse((c) => (c[`${LTI}target_link_uri`] = `${String(c[`${LTI}target_link_uri`])}/elsewhere`), 'lti_target_link_uri_mismatch'));
  it('refuses a payload that is not an LTI message at all', () =>
    refuse((c) => {
      for (const key of Object.keys(c)) if (key.startsWith('https://')) delete c[key];
      c.foo = 'bar';
    }, /^lti_claim_/));
});
