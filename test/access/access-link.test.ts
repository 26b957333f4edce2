import { hkdfSync } from 'node:crypto';
import { expect } from 'chai';
import express from 'express';
import { SignJWT } from 'jose';
import request from 'supertest';
import { createAccessRouter, listAccessEvents, revokeAccessLink } from '../../src/access';
import { AccessAuditModel } from '../../src/access/access-audit.model';
import { AccessLinkModel } from '../../src/access/access-link.model';
import { ExternalSessionModel } from '../../src/access/external-session.model';
import { createErrorHandler, notFoundHandler } from '../../src/platform/error-handler';
import { createLogger } from '../../src/platform/logger';
import { installViews } from '../../src/platform/views';
import { testServer } from '../helpers/test-server';
import { buildAccessLink, sessionFromLocation } from './access-kit';

const api = () => request(testServer().baseUrl);

function redeem(token: string) {
  return api().post('/access/redeem').type('form').send({ token });
}

/** The documented key derivation, written out independently of the code under test. */
function documentedKey(secret: string): Uint8Array {
  return new Uint8Array(hkdfSync('sha256', secret, 'fieldbook', 'fieldbook/access-link/v1', 32));
}

async function forge(claims: Record<string, unknown>, key: Uint8Array, exp = Math.floor(Date.now() / 1000) + 3600) {
  return new SignJWT(claims)
    .setProtectedHeader({ alg: 'HS256', typ: 'fieldbook-access+jwt' })
    .setIssuer(testServer().config.publicUrl)
    .setAudience('fieldbook:access')
    .setIssuedAt()
    .setExpirationTime(exp)
    .sign(key);
}

describe('External access links (/access)', () => {
  it('GET shows a landing page with "Continue as <name>", escaped, and does not consume the link', async () => {
    const link = await buildAccessLink({ name: 'Mo <b>Mentor</b>' });
    for (let i = 0; i < 2; i++) {
      const page = await api().get(link.path).expect(200);
      expect(page.text).to.include('Continue as Mo &lt;b&gt;Mentor&lt;/b&gt;').and.not.include('<b>Mentor</b>');
      expect(page.text).to.include('Cara Candidate').and.include('Dr. Carla Mendes');
      // The shell header: whose hours these are and who the reader is here.
      expect(page.text).to.include('Mentoring Cara Candidate').and.include('<span class="fw-semibold" data-testid="fieldbook-role">Mentor</span>');
      expect(page.text).to.include('action="/access/redeem"').and.include(`value="${link.token}"`);
      expect(page.text).to.not.match(/<script>|style="/);
      // The link's end as a <time> the mentor's browser shows in their own zone; never "UTC".
      expect(page.text).to.match(/works once, until <span class="fb-date"><time class="fb-time" datetime="\d{4}-\d\d-\d\dT[\d:.]+Z" data-local>\d{4}-\d\d-\d\d<\/time><\/span>\./);
      expect(page.text).to.not.include('UTC');
      expect(page.headers['cache-control']).to.equal('no-store');
      expect(page.headers['referrer-policy']).to.equal('no-referrer');
    }
    const stored = await AccessLinkModel.findOne({ jti: link.jti }).lean();
    expect(stored?.usedAt).to.equal(null);
    expect(await ExternalSessionModel.countDocuments({ linkJti: link.jti })).to.equal(0);
  });

  it('redeems once into a session shown at /access/home; a second redeem is refused with 410', async () => {
    const link = await buildAccessLink();
    const first = await redeem(link.token).expect(303);
    expect(first.headers.location).to.match(/^\/access\/home\?s=[A-Za-z0-9_-]{43}$/);
    const s = sessionFromLocation(first.headers.location);

    const home = await api().get(`/access/home?s=${s}`).expect(200);
    expect(home.text).to.include(link.input.name).and.include(link.input.email).and.include('Cara Candidate');
    await api().get('/access/home').set('Authorization', `Bearer ${s}`).expect(200);

    const second = await redeem(link.token).expect(410);
    expect(second.text).to.include('This link has already been used').and.include('ask Dr. Carla Mendes for a new one');
    await api().get(link.path).expect(410);

    const stored = await AccessLinkModel.findOne({ jti: link.jti }).lean();
    expect(stored?.usedAt).to.be.instanceOf(Date);
    const session = await ExternalSessionModel.findOne({ linkJti: link.jti }).lean();
    expect(session?.email).to.equal(link.input.email);
    expect(session?.tokenHash).to.match(/^[0-9a-f]{64}$/).and.not.equal(s);
    expect(session?.expiresAt.getTime()).to.be.closeTo(Date.now() + 8 * 3_600_000, 60_000);

    const actions = (await listAccessEvents(link.jti)).map((e) => `${e.action}:${e.reason ?? ''}`);
    expect(actions).to.deep.equal(['link.issued:', 'link.redeemed:', 'link.refused:used (redeem)', 'link.refused:used (view)']);
    const redeemed = (await listAccessEvents(link.jti))[1];
    expect(redeemed.actor).to.include({ kind: 'external', email: link.input.email, name: link.input.name });
  });

  it('answers JSON refusals to API callers', async () => {
    const link = await buildAccessLink();
    await redeem(link.token).expect(303);
    const res = await api().post('/access/redeem').set('Accept', 'application/json').send({ token: link.token }).expect(410);
    expect(res.body.error).to.equal('access_link_used');
  });

  it('refuses a link whose JWT has expired, naming who to ask, and audits it', async () => {
    const link = await buildAccessLink({ ttlHours: 1 / 3600 });
    await new Promise((r) => setTimeout(r, 1100));
    const page = await api().get(link.path).expect(410);
    expect(page.text).to.include('This link has expired — ask Dr. Carla Mendes for a new one');
    await redeem(link.token).expect(410);
    const events = await listAccessEvents(link.jti);
    expect(events.map((e) => e.reason)).to.include.members(['expired (view)', 'expired (redeem)']);
    expect(await ExternalSessionModel.countDocuments({ linkJti: link.jti })).to.equal(0);
  });

  it('refuses a link expired in the database even while its JWT is still valid', async () => {
    const link = await buildAccessLink();
    await AccessLinkModel.updateOne({ jti: link.jti }, { $set: { expiresAt: new Date(Date.now() - 1000) } });
    const res = await redeem(link.token).expect(410);
    expect(res.text).to.include('This link has expired');
    expect((await AccessLinkModel.findOne({ jti: link.jti }).lean())?.usedAt).to.equal(null);
  });

  it('revoking refuses the link and ends the session already opened with it', async () => {
    const link = await buildAccessLink();
    const s = sessionFromLocation((await redeem(link.token).expect(303)).headers.location);
    await api().get(`/access/home?s=${s}`).expect(200);

    expect(await revokeAccessLink(link.jti, { sub: 'fac-1', name: 'Dr. Carla Mendes' })).to.equal(true);
    expect(await revokeAccessLink(link.jti, { sub: 'fac-2', name: 'Someone Else' })).to.equal(true);
    const home = await api().get(`/access/home?s=${s}`).expect(401);
    expect(home.text).to.include('Your access was withdrawn');
    const again = await redeem(link.token).expect(410);
    expect(again.text).to.include('This link was withdrawn');

    const stored = await AccessLinkModel.findOne({ jti: link.jti }).lean();
    expect(stored?.revokedBy).to.deep.equal({ sub: 'fac-1', name: 'Dr. Carla Mendes' });
    const session = await ExternalSessionModel.findOne({ linkJti: link.jti }).lean();
    expect(session?.endedReason).to.equal('revoked');
    const events = await listAccessEvents(link.jti);
    expect(events.filter((e) => e.action === 'link.revoked')).to.have.length(1);
    expect(events.find((e) => e.action === 'link.revoked')?.actor).to.include({ kind: 'lti', sub: 'fac-1' });
    expect(events.map((e) => `${e.action}:${e.reason ?? ''}`)).to.include.members(['session.refused:ended', 'link.refused:revoked (redeem)']);
    expect(await revokeAccessLink('no-such-jti', { sub: 'x', name: 'x' })).to.equal(false);
  });

  it('a revoked link cannot be redeemed even if never opened', async () => {
    const link = await buildAccessLink();
    await revokeAccessLink(link.jti, { sub: 'fac-1', name: 'Dr. Carla Mendes' });
    await api().get(link.path).expect(410);
    await redeem(link.token).expect(410);
    expect(await ExternalSessionModel.countDocuments({ linkJti: link.jti })).to.equal(0);
  });

  it('refuses tampered tokens, wrong signatures, unknown and wrong purposes with 400, audited as anonymous', async () => {
    const link = await buildAccessLink();
    const [h, p, sig] = link.token.split('.');
    const payload = JSON.parse(Buffer.from(p, 'base64url').toString()) as Record<string, unknown>;
    const tampered = `${h}.${Buffer.from(JSON.stringify({ ...payload, exp: (payload.exp as number) + 86400 })).toString('base64url')}.${sig}`;
    const wrongKey = await forge({ jti: link.jti, purpose: 'mentor-verify' }, documentedKey('some-other-secret-0123456789abcdefghij'));
    const rightKey = documentedKey(testServer().config.lti.encryptionKey);
    const wrongPurpose = await forge({ jti: link.jti, purpose: 'admin' }, rightKey);
    const unknownJti = await forge({ jti: 'never-issued', purpose: 'mentor-verify' }, rightKey);
    const noneAlg = `${Buffer.from(JSON.stringify({ alg: 'none', typ: 'fieldbook-access+jwt' })).toString('base64url')}.${p}.`;

    const before = await AccessAuditModel.countDocuments({ action: 'link.refused', 'actor.kind': 'anonymous' });
    for (const token of [tampered, wrongKey, wrongPurpose, unknownJti, noneAlg, 'garbage', `${link.token}x`]) {
      const res = await redeem(token);
      expect(res.status, token).to.equal(400);
      expect(res.text).to.include('This link is not valid');
    }
    await api().get(`/access/${tampered}`).expect(400);
    await api().post('/access/redeem').type('form').send({}).expect(400);
    const after = await AccessAuditModel.countDocuments({ action: 'link.refused', 'actor.kind': 'anonymous' });
    expect(after - before).to.equal(8);

    // The forged key really is the one documented: the genuine link still works afterwards.
    const good = await forge({ jti: link.jti, purpose: 'mentor-verify' }, rightKey);
    await redeem(good).expect(303);
    expect((await AccessLinkModel.findOne({ jti: link.jti }).lean())?.usedAt).to.be.instanceOf(Date);
  });

  it('requires a live session token for /access/home: 401 without, with garbage, after expiry', async () => {
    const none = await api().get('/access/home').expect(401);
    expect(none.text).to.include('Open Fieldbook from the link in your invitation email');
    await api().get('/access/home?s=garbage').expect(401);
    await api().get(`/access/home?s=${'A'.repeat(43)}`).expect(401);
    await api().get('/access/home').set('Authorization', 'Bearer nope').expect(401);

    const link = await buildAccessLink();
    const s = sessionFromLocation((await redeem(link.token).expect(303)).headers.location);
    await api().get(`/access/home?s=${s}`).expect(200);
    await ExternalSessionModel.updateOne({ linkJti: link.jti }, { $set: { expiresAt: new Date(Date.now() - 1000) } });
    const expired = await api().get(`/access/home?s=${s}`).expect(401);
    expect(expired.text).to.include('Your Fieldbook session has ended');
    const json = await api().get(`/access/home?s=${s}`).set('Accept', 'application/json').expect(401);
    expect(json.body.error).to.equal('access_session_expired');
    expect((await listAccessEvents(link.jti)).map((e) => `${e.action}:${e.reason}`)).to.include('session.refused:expired');
    expect(await AccessAuditModel.countDocuments({ action: 'session.refused', reason: 'unknown', 'actor.kind': 'anonymous' })).to.be.greaterThan(0);
  });

  it('limits redeem attempts per IP', async () => {
    const { config } = testServer();
    const app = express();
    installViews(app);
    app.use(express.urlencoded({ extended: false }));
    app.use('/access', createAccessRouter({ config, logger: createLogger({ ...config, logLevel: 'silent' }), redeemPerMinute: 2 }));
    app.use(notFoundHandler);
    app.use(createErrorHandler(createLogger({ ...config, logLevel: 'silent' }), false));
    // Limits count per fixed minute (shared through the database): start well inside one.
    const leftInMinute = 60_000 - (Date.now() % 60_000);
    if (leftInMinute < 8_000) await new Promise((resolve) => setTimeout(resolve, leftInMinute + 50));
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++) statuses.push((await request(app).post('/access/redeem').type('form').send({ token: 'garbage' })).status);
    expect(statuses).to.deep.equal([400, 400, 429, 429]);
    const page = await request(app).post('/access/redeem').type('form').send({ token: 'garbage' }).expect(429);
    expect(page.text).to.include('Too many attempts');
  });
});
