import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { expect } from 'chai';
import { createRemoteJWKSet, decodeProtectedHeader, jwtVerify, type JWTPayload } from 'jose';
import mongoose from 'mongoose';
import request from 'supertest';
import { registerPlatform } from '../../src/lti/platform-registry';
import { addSandboxPerson, createSandboxCourse, createSandboxPlacement, sandboxIdentity } from '../../src/sandbox';
import { deepLinkAs, parseForm, submitPicker } from '../helpers/sandbox-launch';
import { testServer } from '../helpers/test-server';
import { DL, expectAccepted, LTI, login, newKey, random, signFor, uniqueSub, validClaims, type TestPlatform } from './forge';

/** What Fieldbook itself signs and sends to platforms (lti.md "What we send"). */

const MAX_LIFETIME_SECONDS = 5 * 60;

function toolJwks() {
  return createRemoteJWKSet(new URL(`${testServer().baseUrl}/lti/keys`));
}

async function publishedKids(): Promise<string[]> {
  const res = await request(testServer().baseUrl).get('/lti/keys');
  expect(res.status).to.equal(200);
  return (res.body.keys as Array<{ kid: string }>).map((k) => k.kid);
}

function expectShortLived(payload: JWTPayload): void {
  const now = Math.floor(Date.now() / 1000);
  expect(payload.iat, 'iat').to.be.a('number');
  expect(payload.exp, 'exp').to.be.a('number');
  expect(payload.exp! - payload.iat!, 'lifetime').to.be.within(1, MAX_LIFETIME_SECONDS);
  expect(payload.exp!, 'not expired').to.be.greaterThan(now);
  expect(payload.iat!, 'not issued in the future').to.be.at.most(now + 5);
}

describe('LTI security: what the tool sends', () => {
  describe('the deep-linking response JWT', () => {
    it('is signed with a key in our JWKS, from client_id to the platform, short-lived, echoing deployment_id and data, with one resource link', async function () {
      this.timeout(30_000);
      const { baseUrl, config } = testServer();
      const sandbox = sandboxIdentity(config);
      const suffix = random();
      const course = await createSandboxCourse({ title: `Tool messages ${suffix}`, label: `TM-${suffix}` });
      const faculty = await addSandboxPerson(course.id, { name: `Dr. Jo Kim ${suffix}`, roles: 'faculty' });
      const placement = await createSandboxPlacement(course.id, { kind: 'deep_linking', title: 'Add a Fieldbook activity' });

      const picker = await deepLinkAs(baseUrl, { personId: faculty.id, placementId: placement.id });
      expect(picker.status, picker.text).to.equal(200);
      const submitted = await submitPicker(picker.agent, picker.text, { activityType: 'practicum-log', title: `Signed ${suffix}`, pointsPossible: '25' });
      expect(submitted.status, submitted.text).to.equal(200);
      const form = parseForm(submitted.text, 'JWT');
      expect(form.action).to.equal(picker.deepLinkingSettings.deep_link_return_url);
      const jwt = form.fields.JWT;

      const header = decodeProtectedHeader(jwt);
      expect(header.alg).to.equal('RS256');
      expect(header.kid, 'kid present').to.be.a('string');
      expect(await publishedKids()).to.include(header.kid);

      const { payload } = await jwtVerify(jwt, toolJwks(), { algorithms: ['RS256'], issuer: sandbox.clientId, audience: sandbox.issuer });
      expect(payload.iss).to.equal('fieldbook-sandbox');
      expect(payload.aud === sandbox.issuer || (Array.isArray(payload.aud) && payload.aud.length === 1 && payload.aud[0] === sandbox.issuer), 'aud is the platform issuer only').to.equal(true);
      expectShortLived(payload);
      expect(payload.nonce, 'nonce').to.be.a('string');
      expect(payload[`${LTI}message_type`]).to.equal('LtiDeepLinkingResponse');
      expect(payload[`${LTI}version`]).to.equal('1.3.0');
      expect(payload[`${LTI}deployment_id`]).to.equal(picker.idTokenClaims[`${LTI}deployment_id`]);
      expect(picker.deepLinkingSettings.data, 'the Sandbox sent data to echo').to.be.a('string');
      expect(payload[`${DL}data`]).to.equal(picker.deepLinkingSettings.data);

      const items = payload[`${DL}content_items`] as Array<Record<string, unknown>>;
      expect(items).to.be.an('array').with.lengthOf(1);
      expect(picker.deepLinkingSettings.accept_types).to.include('ltiResourceLink');
      for (const item of items) expect(item.type).to.equal('ltiResourceLink');
      expect(String(items[0].url)).to.equal(`${baseUrl}/lti/launch`);
    });
  });

  describe('the client-credentials assertion', () => {
    let platform: TestPlatform;
    let server: http.Server;
    let tokenEndpoint: string;
    const assertions: Array<{ jwt: string; grantType: string; assertionType: string }> = [];

    before(async function () {
      this.timeout(120_000);
      const key = await newKey();
      // One loopback "platform": its JWKS, an OAuth2 token endpoint that records the assertion, and NRPS.
      server = http.createServer((req, res) => {
        const chunks: Buffer[] = [];
        req.on('data', (c: Buffer) => chunks.push(c));
        req.on('end', () => {
          const url = new URL(req.url ?? '/', 'http://localhost');
          const json = (status: number, body: unknown) => res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
          if (url.pathname === '/jwks') return json(200, { keys: [key.publicJwk] });
          if (url.pathname === '/token' && req.method === 'POST') {
            const form = new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
            assertions.push({ jwt: form.get('client_assertion') ?? '', grantType: form.get('grant_type') ?? '', assertionType: form.get('client_assertion_type') ?? '' });
            return json(200, { access_token: `at-${random()}`, token_type: 'Bearer', expires_in: 3600, scope: form.get('scope') });
          }
          if (url.pathname.startsWith('/members/')) return json(200, { id: url.href, context: { id: 'ctx' }, members: [] });
          json(404, { error: 'not found' });
        });
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      tokenEndpoint = `${origin}/token`;
      platform = { issuer: `https://cc-platform-${random()}.test`, clientId: `cc-client-${random()}`, deploymentId: `dep-${random()}`, ...key, jwksMode: 'ok', jwksHits: 0, servedKeys: [key.publicJwk], close: async () => undefined };
      await registerPlatform(
        { issuer: platform.issuer, name: 'Client credentials test platform', clientId: platform.clientId, authEndpoint: `${origin}/auth`, tokenEndpoint, jwksUrl: `${origin}/jwks`, deploymentIds: [platform.deploymentId], registeredBy: 'cli' },
        { allowHttp: true },
      );
    });

    after(async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    });

    /** A faculty launch with NRPS: the launch page fetches the roster, which needs an access token. */
    async function facultyLaunchWithRoster(): Promise<void> {
      const sub = uniqueSub();
      const { agent, nonce, state } = await login(platform);
      const claims = {
        ...validClaims(platform, nonce, sub),
        [`${LTI}roles`]: ['http://purl.imsglobal.org/vocab/lis/v2/membership#Instructor'],
        // A course of its own per launch: rosters are cached per membership URL for a minute.
        'https://purl.imsglobal.org/spec/lti-nrps/claim/namesroleservice': { context_memberships_url: `${new URL(tokenEndpoint).origin}/members/${random()}`, service_versions: ['2.0'] },
      };
      await expectAccepted(agent, { id_token: await signFor(platform, claims), state }, sub);
      // ltijs caches access tokens per scope for an hour; forget it so the next call asks again.
      await mongoose.connection.collection('accesstokens').deleteMany({ platformUrl: platform.issuer });
    }

    it('is signed with our key, iss = sub = client_id, aud = the token endpoint, short-lived, with a unique jti per request', async function () {
      this.timeout(30_000);
      await facultyLaunchWithRoster();
      await facultyLaunchWithRoster();
      expect(assertions, 'one token request per roster fetch').to.have.lengthOf(2);

      const kids = await publishedKids();
      const payloads: JWTPayload[] = [];
      for (const a of assertions) {
        expect(a.grantType).to.equal('client_credentials');
        expect(a.assertionType).to.equal('urn:ietf:params:oauth:client-assertion-type:jwt-bearer');
        const header = decodeProtectedHeader(a.jwt);
        expect(header.alg).to.equal('RS256');
        expect(kids).to.include(header.kid);
        const { payload } = await jwtVerify(a.jwt, toolJwks(), { algorithms: ['RS256'], issuer: platform.clientId, subject: platform.clientId, audience: tokenEndpoint });
        expectShortLived(payload);
        expect(payload.jti, 'jti').to.be.a('string').with.length.greaterThan(10);
        payloads.push(payload);
      }
      expect(payloads[0].jti).not.to.equal(payloads[1].jti);
    });
  });
});
