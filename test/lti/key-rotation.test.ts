import { expect } from 'chai';
import { decodeProtectedHeader } from 'jose';
import request from 'supertest';
import { keyStatus, PUBLISH_WAIT_MS, RETIRE_WAIT_MS, rotateKeys } from '../../src/lti/keys/key-rotation.service';
import { lti } from '../../src/lti/ltijs';
import { AGS_SCOPES, revokeSandboxTokens, sandboxIdentity } from '../../src/sandbox';
import { testServer } from '../helpers/test-server';

/**
 * Rotation of the tool's signing key for the Sandbox platform, proved against the Sandbox's token
 * endpoint, which verifies the client assertion against the tool's JWKS URL (cached 10 min,
 * fetched again on an unknown kid). The test leaves the Sandbox signing with the new key.
 */

// eslint-disable-next-line @typescript-eslint/no-require-imports
const ltijsHttp = require('ltijs/dist/Utils/Http') as { post: (url: string, options: { form?: Record<string, string> }) => unknown };

describe('lti/key rotation (publish → activate → retire)', function () {
  this.timeout(60_000);
  let only: { issuer: string; clientId: string };
  const sentAssertions: string[] = [];
  let originalPost: typeof ltijsHttp.post;

  before(() => {
    const id = sandboxIdentity(testServer().config);
    only = { issuer: id.issuer, clientId: id.clientId };
    originalPost = ltijsHttp.post;
    // Records what ltijs sends to the token endpoint; the request itself goes through unchanged.
    ltijsHttp.post = (url, options) => {
      if (options.form?.client_assertion) sentAssertions.push(options.form.client_assertion);
      return originalPost.call(ltijsHttp, url, options);
    };
  });
  after(() => {
    ltijsHttp.post = originalPost;
  });

  const jwksKids = async () => {
    const res = await request(testServer().baseUrl).get('/lti/keys').expect(200);
    return (res.body as { keys: Array<{ kid: string; d?: string }> }).keys.map((k) => k.kid);
  };

  /** What the grade sender does for a score: ltijs's access token for the score scope, fetched afresh. */
  async function freshAccessTokenKid(): Promise<string> {
    await lti.Database.Delete('accesstoken', { platformUrl: only.issuer, clientId: only.clientId });
    await revokeSandboxTokens();
    const platform = await lti.getPlatform(only.issuer, only.clientId);
    if (!platform) throw new Error('the Sandbox is not registered');
    const before = sentAssertions.length;
    const token = await platform.platformAccessToken(AGS_SCOPES.score);
    expect(token.access_token, 'the Sandbox issued an access token').to.be.a('string').and.not.equal('');
    expect(sentAssertions.length).to.equal(before + 1);
    return decodeProtectedHeader(sentAssertions[sentAssertions.length - 1]).kid ?? '';
  }

  it('publishes the next key, signs with it only after activation, keeps the old one until retirement', async () => {
    const [start] = await keyStatus({ only });
    const oldKid = start.activeKid;
    expect(await jwksKids()).to.include(oldKid);
    expect(await freshAccessTokenKid()).to.equal(oldKid);
    const t0 = Date.now();

    const [published] = await rotateKeys('publish', { only, now: new Date(t0) });
    expect(published.outcome).to.equal('done');
    const newKid = published.platform.nextKid ?? '';
    expect(newKid).to.match(/^[0-9a-f]{32}$/).and.not.equal(oldKid);
    expect(await jwksKids(), 'both keys are in the JWKS').to.include.members([oldKid, newKid]);
    expect(await freshAccessTokenKid(), 'published, not yet signing').to.equal(oldKid);
    expect((await rotateKeys('publish', { only, now: new Date(t0) }))[0].outcome, 'publishing twice adds nothing').to.equal('nothing to do');

    const early = await rotateKeys('activate', { only, now: new Date(t0 + PUBLISH_WAIT_MS / 2) });
    expect(early[0].outcome).to.equal('too early');
    expect((await keyStatus({ only }))[0].activeKid).to.equal(oldKid);

    const tActive = t0 + PUBLISH_WAIT_MS + 1000;
    expect((await rotateKeys('activate', { only, now: new Date(tActive) }))[0].outcome).to.equal('done');
    // The Sandbox's key set client refetches an unknown kid only 5 s after its last fetch.
    await new Promise((resolve) => setTimeout(resolve, 5_200));
    expect(await freshAccessTokenKid(), 'the Sandbox accepted a token request signed with the new key').to.equal(newKid);
    expect(await jwksKids(), 'the old key stays published').to.include.members([oldKid, newKid]);

    expect((await rotateKeys('retire', { only, now: new Date(tActive + RETIRE_WAIT_MS / 2) }))[0].outcome).to.equal('too early');
    expect(await jwksKids()).to.include(oldKid);
    expect((await rotateKeys('retire', { only, now: new Date(tActive + RETIRE_WAIT_MS + 1000) }))[0].outcome).to.equal('done');
    const after = await jwksKids();
    expect(after).to.include(newKid);
    expect(after).to.not.include(oldKid);
    expect(await freshAccessTokenKid(), 'still signing with the new key after retirement').to.equal(newKid);
    const res = await request(testServer().baseUrl).get('/lti/keys').expect(200);
    for (const key of (res.body as { keys: Array<Record<string, unknown>> }).keys) expect(key).to.not.have.any.keys('d', 'p', 'q', 'dp', 'dq', 'qi');
  });

  it('a platform object read before activation signs with the key active when it signs (state read per signature, no cache)', async () => {
    const platform = await lti.getPlatform(only.issuer, only.clientId);
    if (!platform) throw new Error('the Sandbox is not registered');
    const t0 = Date.now();
    const [published] = await rotateKeys('publish', { only, now: new Date(t0) });
    const newKid = published.platform.nextKid ?? '';
    await rotateKeys('activate', { only, now: new Date(t0), force: true });
    // What a second instance that read the platform earlier would do next:
    const signer = platform as unknown as { platformPrivateKey(): Promise<string>; platformKid(): Promise<string>; platformId(): Promise<string> };
    await signer.platformPrivateKey();
    expect(await signer.platformKid()).to.equal(newKid);
    expect(await signer.platformId(), 'the platform id (sessions, statuses) never changes').to.equal((await keyStatus({ only }))[0].platformId);
    expect((await rotateKeys('retire', { only, now: new Date(t0), force: true }))[0].outcome).to.equal('done');
    await new Promise((resolve) => setTimeout(resolve, 5_200));
    expect(await freshAccessTokenKid()).to.equal(newKid);
  });
});
