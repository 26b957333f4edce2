import { expect } from 'chai';
import request from 'supertest';
import { FRAME_ANCESTORS_TTL_MS, invalidateFrameAncestors, platformOrigins } from '../../src/lti/frame-ancestors';
import { lti } from '../../src/lti/ltijs';
import { loadConfig } from '../../src/platform/config';
import { testServer } from '../helpers/test-server';
import { createTestPlatform, random } from '../lti-security/forge';

function frameAncestors(res: request.Response): string {
  return /frame-ancestors ([^;]*)/.exec(String(res.headers['content-security-policy']))?.[1] ?? '';
}

describe('CSP frame-ancestors: /lti pages only inside registered platforms', function () {
  this.timeout(60_000);

  it('limits /lti pages to self, registered platform origins and LTI_FRAME_ANCESTORS', async () => {
    const { baseUrl } = testServer();
    const res = await request(baseUrl).get('/lti/keys');
    const sources = frameAncestors(res).split(' ');
    expect(sources).to.include.members(["'self'", new URL(baseUrl).origin, `http://localhost:${new URL(baseUrl).port}`]);
    expect(sources).not.to.include('https:');
    expect(sources).not.to.include('http:');
  });

  it('applies to launch refusals too (the iframe error page)', async () => {
    const res = await request(testServer().baseUrl).post('/lti/launch').type('form').send({ id_token: 'x', state: 'y' });
    expect(res.status).to.equal(400);
    expect(frameAncestors(res).split(' ')).not.to.include('https:');
  });

  it('a newly registered platform may frame the tool at once (registration clears the cache)', async () => {
    const platform = await createTestPlatform();
    try {
      const res = await request(testServer().baseUrl).get('/lti/keys');
      expect(frameAncestors(res).split(' ')).to.include(new URL(platform.issuer).origin);
    } finally {
      await platform.close();
    }
  });

  it('caches the platform origins (no database read per request) until the TTL passes', async () => {
    invalidateFrameAncestors();
    const before = await platformOrigins();
    const issuer = `https://cached-${random()}.test`;
    // Registered behind the registry's back: nothing invalidates the cache.
    await lti.registerPlatform({ url: issuer, name: 'cache probe', clientId: `c-${random()}`, authenticationEndpoint: `${issuer}/auth`, accesstokenEndpoint: `${issuer}/token`, authConfig: { method: 'JWK_SET', key: `${issuer}/jwks` } });
    expect(await platformOrigins()).to.deep.equal(before);
    expect(await platformOrigins(undefined, Date.now() + FRAME_ANCESTORS_TTL_MS + 1)).to.include(issuer);
  });

  it('keeps Sandbox and dynamic registration pages framable as before', async () => {
    const { baseUrl } = testServer();
    expect(frameAncestors(await request(baseUrl).get('/sandbox'))).to.equal("'self' https: http:");
    const reg = await request(baseUrl).get('/lti/register');
    expect(frameAncestors(reg)).to.match(/https:/);
  });

  it('reads LTI_FRAME_ANCESTORS as space-separated origins and refuses anything else', () => {
    const config = loadConfig({ env: { NODE_ENV: 'test', LTI_FRAME_ANCESTORS: 'https://school.instructure.com  https://other.example/path' } });
    expect(config.lti.frameAncestors).to.deep.equal(['https://school.instructure.com', 'https://other.example']);
    expect(loadConfig({ env: { NODE_ENV: 'test' } }).lti.frameAncestors).to.deep.equal([]);
    expect(() => loadConfig({ env: { NODE_ENV: 'test', LTI_FRAME_ANCESTORS: 'not-an-origin' } })).to.throw(/lti.frameAncestors/);
  });
});
