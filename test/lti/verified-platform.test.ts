import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { expect } from 'chai';
import { continueVerified, type VerifiedPlatform } from '../../src/lti/guard/verified-platform';
import { lti, type LtiPlatform } from '../../src/lti/ltijs';
import { registerPlatform } from '../../src/lti/platform-registry';
import { testServer } from '../helpers/test-server';

/** The stored auth config as plain fields (ltijs returns its stored subdocument). */
async function authOf(found: LtiPlatform): Promise<{ method: string; key: unknown }> {
  const { method, key } = await found.platformAuthConfig();
  return { method, key };
}

/** Runs fn inside a request the guard has passed, as ltijs's handler runs. */
function inVerified<T>(context: VerifiedPlatform, fn: () => Promise<T>): Promise<T> {
  return new Promise<T>((resolve, reject) => continueVerified(context, () => void fn().then(resolve, reject)));
}

describe('lti/verified-platform (ltijs reuses what the guard verified, within that request only)', function () {
  // ltijs generates a 4096-bit key pair per new platform.
  this.timeout(60_000);

  const issuer = `https://lms-${randomBytes(6).toString('hex')}.example.edu`;
  const clientId = `client-${randomBytes(4).toString('hex')}`;
  const { publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  let platform: LtiPlatform;

  before(async () => {
    testServer();
    await registerPlatform({
      issuer,
      name: 'Verified LMS',
      clientId,
      authEndpoint: `${issuer}/auth`,
      tokenEndpoint: `${issuer}/token`,
      jwksUrl: `${issuer}/jwks`,
      deploymentIds: ['dep-1'],
      registeredBy: 'cli',
    });
    platform = (await lti.getPlatform(issuer, clientId)) as LtiPlatform;
    expect(platform).to.not.equal(false);
  });

  it('outside a guarded request, lookups read ltijs records (the key set URL, the stored status)', async () => {
    const found = (await lti.getPlatform(issuer, clientId)) as LtiPlatform;
    expect(await authOf(found)).to.deep.equal({ method: 'JWK_SET', key: `${issuer}/jwks` });
    expect(await found.platformActive()).to.equal(true);
  });

  it('inside it, the same issuer and client get the accepted registration and the key the guard verified with', async () => {
    const result = await inVerified({ iss: issuer, clientId, platform, key: publicKey }, async () => {
      const found = (await lti.getPlatform(issuer, clientId)) as LtiPlatform;
      return { clientId: await found.platformClientId(), kid: await found.platformKid(), authConfig: await found.platformAuthConfig(), active: await found.platformActive() };
    });
    expect(result.clientId).to.equal(clientId);
    expect(result.kid).to.equal(await platform.platformKid());
    expect(result.authConfig.method).to.equal('RSA_KEY');
    expect(result.authConfig.key).to.equal(publicKey);
    expect(result.active).to.equal(true);
  });

  it('inside it, another client of the issuer, another issuer, or a lookup without client id still read the database', async () => {
    const result = await inVerified({ iss: issuer, clientId, platform, key: publicKey }, async () => ({
      otherClient: await lti.getPlatform(issuer, 'someone-else'),
      otherIssuer: await lti.getPlatform('https://other.example.edu', clientId),
      all: await lti.getPlatform(issuer),
    }));
    expect(result.otherClient).to.equal(false);
    expect(result.otherIssuer).to.equal(false);
    expect(result.all).to.be.an('array').with.length(1);
    expect(await authOf((result.all as LtiPlatform[])[0])).to.deep.equal({ method: 'JWK_SET', key: `${issuer}/jwks` });
  });

  it('a login without client_id gets the one registration only when the guard found exactly one', async () => {
    const single = await inVerified({ iss: issuer, clientId, platform, onlyRegistration: true }, () => lti.getPlatform(issuer));
    expect(single).to.be.an('array').with.length(1);
    // Without a key (a login), the stored key set URL is kept.
    expect(await authOf((single as LtiPlatform[])[0])).to.deep.equal({ method: 'JWK_SET', key: `${issuer}/jwks` });
  });

  it('writes made through the shortcut reach the database (deactivation is not lost)', async () => {
    await inVerified({ iss: issuer, clientId, platform, key: publicKey }, async () => {
      const found = (await lti.getPlatform(issuer, clientId)) as LtiPlatform;
      await found.platformActive(false);
    });
    try {
      const stored = (await lti.getPlatform(issuer, clientId)) as LtiPlatform;
      expect(await stored.platformActive()).to.equal(false);
    } finally {
      await platform.platformActive(true);
    }
  });

  it('the context ends with the request: a later lookup reads the database again', async () => {
    await inVerified({ iss: issuer, clientId, platform, key: publicKey }, () => Promise.resolve());
    const found = (await lti.getPlatform(issuer, clientId)) as LtiPlatform;
    expect((await found.platformAuthConfig()).method).to.equal('JWK_SET');
  });
});
