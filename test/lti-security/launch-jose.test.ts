import { createPublicKey } from 'node:crypto';
import { expect } from 'chai';
import { SignJWT } from 'jose';
import { createTestPlatform, expectAccepted, expectRefused, login, newKey, random, sign, signFor, uniqueSub, validClaims, type TestPlatform } from './forge';

const b64 = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('LTI launch guard: JOSE', function () {
  this.timeout(60_000);
  let platform: TestPlatform;
  before(async () => {
    platform = await createTestPlatform();
  });
  after(() => platform.close());

  async function refuse(makeToken: (nonce: string, sub: string) => Promise<string> | string, error: string, status = 401, target = platform) {
    const sub = uniqueSub();
    const { agent, state, nonce } = await login(target);
    return expectRefused(agent, { id_token: await makeToken(nonce, sub), state }, sub, { status, error });
  }

  it('refuses alg none', () =>
    refuse((nonce, sub) => `${b64({ alg: 'none', kid: platform.kid })}.${b64({ ...validClaims(platform, nonce, sub), iat: Math.floor(Date.now() / 1000), exp: Math.floor(Date.now() / 1000) + 300 })}.`, 'lti_alg_not_allowed'));

  it('refuses HS256 signed with the platform public key as the secret', () =>
    refuse((nonce, sub) => {
      const pem = createPublicKey({ key: platform.publicJwk as never, format: 'jwk' }).export({ type: 'spki', format: 'pem' });
      return new SignJWT(validClaims(platform, nonce, sub)).setProtectedHeader({ alg: 'HS256', kid: platform.kid }).setIssuedAt().setExpirationTime('5m').sign(Buffer.from(pem));
    }, 'lti_alg_not_allowed'));

  it('refuses RS512 when RS256 is registered', () => refuse((nonce, sub) => sign(validClaims(platform, nonce, sub), platform.privateKey, { alg: 'RS512', kid: platform.kid }), 'lti_alg_not_allowed'));

  it('refuses PS256 when RS256 is registered', () => refuse((nonce, sub) => sign(validClaims(platform, nonce, sub), platform.privateKey, { alg: 'PS256', kid: platform.kid }), 'lti_alg_not_allowed'));

  it('refuses a token without kid', () => refuse((nonce, sub) => sign(validClaims(platform, nonce, sub), platform.privateKey, {}), 'lti_kid_missing'));

  it('refuses an unknown kid after one refresh of the key set', async () => {
    await sleep(1100);
    const hits = platform.jwksHits;
    await refuse((nonce, sub) => sign(validClaims(platform, nonce, sub), platform.privateKey, { kid: `unknown-${random()}` }), 'lti_unknown_kid');
    expect(platform.jwksHits - hits).to.be.within(1, 2);
  });

  it('refuses the right kid with the wrong key', async () => {
    const other = await newKey();
    await refuse((nonce, sub) => sign(validClaims(platform, nonce, sub), other.privateKey, { kid: platform.kid }), 'lti_signature_invalid');
  });

  it('accepts a rotated key (unknown kid triggers one refetch)', async () => {
    const rotated = await newKey();
    platform.servedKeys = [platform.publicJwk, rotated.publicJwk];
    await sleep(1100);
    const sub = uniqueSub();
    const { agent, state, nonce } = await login(platform);
    await expectAccepted(agent, { id_token: await sign(validClaims(platform, nonce, sub), rotated.privateKey, { kid: rotated.kid }), state }, sub);
  });

  describe('platform key set unavailable', () => {
    let broken: TestPlatform;
    beforeEach(async () => {
      broken = await createTestPlatform();
    });
    afterEach(() => broken.close());

    it('answers 424, not 500, when the JWKS endpoint is down', async () => {
      broken.jwksMode = 'down';
      await refuse((nonce, sub) => signFor(broken, validClaims(broken, nonce, sub)), 'lti_platform_keys_unavailable', 424, broken);
    });

    it('answers 424 within the timeout when the JWKS endpoint is slow', async () => {
      broken.jwksMode = 'slow';
      const started = Date.now();
      await refuse((nonce, sub) => signFor(broken, validClaims(broken, nonce, sub)), 'lti_platform_keys_unavailable', 424, broken);
      expect(Date.now() - started).to.be.below(5_500);
    });

    it('answers 424 when the JWKS endpoint returns garbage', async () => {
      broken.jwksMode = 'garbage';
      await refuse((nonce, sub) => signFor(broken, validClaims(broken, nonce, sub)), 'lti_platform_keys_unavailable', 424, broken);
    });
  });
});
