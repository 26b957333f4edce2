import { expect } from 'chai';
import { getSandboxTokenStats, AGS_SCOPES, NRPS_SCOPE } from '../../src/sandbox';
import { clientAssertion, identity, strangerSigner, toolSigner, tokenRequest } from './sandbox-kit';

describe('Sandbox LMS: OAuth2 client-credentials token endpoint', () => {
  it('issues a one-hour Bearer token for an assertion signed with the tool key, and counts the request', async () => {
    const before = await getSandboxTokenStats();
    const res = await tokenRequest(await clientAssertion(await toolSigner()), `${AGS_SCOPES.score} ${AGS_SCOPES.lineitem}`);
    expect(res.status, res.text).to.equal(200);
    expect(res.body).to.include({ token_type: 'Bearer', expires_in: 3600, scope: `${AGS_SCOPES.score} ${AGS_SCOPES.lineitem}` });
    expect(res.body.access_token).to.be.a('string').with.length.greaterThan(30);
    const after = await getSandboxTokenStats();
    expect(after.tokenRequests).to.be.greaterThan(before.tokenRequests);
    expect(after.tokensIssued).to.be.greaterThan(before.tokensIssued);
  });

  it('accepts aud as an array holding the token endpoint', async () => {
    const res = await tokenRequest(await clientAssertion(await toolSigner(), { aud: ['https://other.example', identity().tokenEndpoint] }), NRPS_SCOPE);
    expect(res.status, res.text).to.equal(200);
  });

  it('refuses a reused jti', async () => {
    const assertion = await clientAssertion(await toolSigner());
    expect((await tokenRequest(assertion, NRPS_SCOPE)).status).to.equal(200);
    const again = await tokenRequest(assertion, NRPS_SCOPE);
    expect(again.status).to.equal(401);
    expect(again.body).to.include({ error: 'invalid_client' });
    expect(again.body.error_description).to.match(/jti/);
  });

  const cases: Array<[string, () => Promise<string>]> = [
    ['a wrong aud', async () => clientAssertion(await toolSigner(), { aud: `${identity().issuer}/auth` })],
    ['a wrong iss', async () => clientAssertion(await toolSigner(), { iss: 'someone-else' })],
    ['sub ≠ client_id', async () => clientAssertion(await toolSigner(), { sub: 'someone-else' })],
    ['an expired assertion', async () => clientAssertion(await toolSigner(), { iat: Math.floor(Date.now() / 1000) - 600, exp: Math.floor(Date.now() / 1000) - 300 })],
    ['an iat in the future', async () => clientAssertion(await toolSigner(), { iat: Math.floor(Date.now() / 1000) + 600, exp: Math.floor(Date.now() / 1000) + 900 })],
    ['no jti', async () => clientAssertion(await toolSigner(), { jti: undefined })],
    ['a key that is not in the tool JWKS', async () => clientAssertion(await strangerSigner())],
    ['the right kid but the wrong key', async () => clientAssertion(await strangerSigner((await toolSigner()).kid))],
    ['garbage', async () => 'not.a.jwt'],
  ];
  for (const [name, build] of cases) {
    it(`answers 401 invalid_client for ${name}`, async () => {
      const res = await tokenRequest(await build(), AGS_SCOPES.score);
      expect(res.status, res.text).to.equal(401);
      expect(res.body.error).to.equal('invalid_client');
      expect(res.text).not.to.match(/at \w+ \(/);
    });
  }

  it('answers 400 unsupported_grant_type and invalid_scope', async () => {
    const assertion = await clientAssertion(await toolSigner());
    const wrongGrant = await tokenRequest(assertion, AGS_SCOPES.score).send({ grant_type: 'password' });
    expect(wrongGrant.status).to.equal(400);
    expect(wrongGrant.body.error).to.equal('unsupported_grant_type');
    const badScope = await tokenRequest(await clientAssertion(await toolSigner()), `${AGS_SCOPES.score} https://example.com/scope/admin`);
    expect(badScope.status).to.equal(400);
    expect(badScope.body.error).to.equal('invalid_scope');
  });
});
