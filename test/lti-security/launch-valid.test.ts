import { expect } from 'chai';
import { LTI, createTestPlatform, expectAccepted, login, signFor, uniqueSub, validClaims, type TestPlatform } from './forge';

/** The 1EdTech "valid launch" cases: all must pass the guard and open a session. */
describe('LTI launch guard: valid launches are accepted', function () {
  this.timeout(60_000);
  let platform: TestPlatform;
  before(async () => {
    platform = await createTestPlatform();
  });
  after(() => platform.close());

  async function launchWith(change: (claims: Record<string, unknown>) => void, expectedRecords = 3) {
    const sub = uniqueSub();
    const { agent, state, nonce } = await login(platform);
    const claims = validClaims(platform, nonce, sub);
    change(claims);
    return expectAccepted(agent, { id_token: await signFor(platform, claims), state }, sub, expectedRecords);
  }

  it('accepts a learner launch with full claims', async () => {
    await launchWith(() => undefined);
  });

  it('accepts several roles', async () => {
    await launchWith((c) => {
      c[`${LTI}roles`] = ['http://purl.imsglobal.org/vocab/lis/v2/membership#Instructor', 'http://purl.imsglobal.org/vocab/lis/v2/institution/person#Faculty', 'http://purl.imsglobal.org/vocab/lis/v2/system/person#User'];
    });
  });

  it('accepts short role names (Instructor)', async () => {
    await launchWith((c) => {
      c[`${LTI}roles`] = ['Instructor'];
    });
  });

  it('accepts unknown roles', async () => {
    await launchWith((c) => {
      c[`${LTI}roles`] = ['http://example.test/roles#Wizard', 'Astronaut'];
    });
  });

  it('accepts an empty roles array', async () => {
    await launchWith((c) => {
      c[`${LTI}roles`] = [];
    });
  });

  it('accepts a launch with no personal data', async () => {
    await launchWith((c) => {
      delete c.name;
      delete c.email;
    });
  });

  it('accepts email only', async () => {
    await launchWith((c) => {
      delete c.name;
    });
  });

  it('accepts names only', async () => {
    await launchWith((c) => {
      delete c.email;
      c.given_name = 'Ada';
      c.family_name = 'Lovelace';
    });
  });

  it('accepts a launch without context', async () => {
    await launchWith((c) => {
      delete c[`${LTI}context`];
    });
  });

  it('accepts an aud array with azp = our client id', async () => {
    const page = await launchWith((c) => {
      c.aud = [platform.clientId];
      c.azp = platform.clientId;
    });
    expect(page.text).to.be.a('string');
  });

  it('accepts a deep linking request with deep_link_return_url', async () => {
    await launchWith((c) => {
      c[`${LTI}message_type`] = 'LtiDeepLinkingRequest';
      c[`${LTI}roles`] = ['http://purl.imsglobal.org/vocab/lis/v2/membership#Instructor'];
      delete c[`${LTI}resource_link`];
      c['https://purl.imsglobal.org/spec/lti-dl/claim/deep_linking_settings'] = { deep_link_return_url: `${platform.issuer}/dl/return`, accept_types: ['ltiResourceLink'], accept_presentation_document_targets: ['iframe'] };
      // The deep-linking page records no lti_users entry: only ltijs's two session records.
    }, 2);
  });
});
