import { randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { expect } from 'chai';
import { exportJWK, generateKeyPair, SignJWT, type JWK, type KeyLike } from 'jose';
import mongoose from 'mongoose';
import request from 'supertest';
import { registerPlatform } from '../../src/lti/platform-registry';
import { testServer } from '../helpers/test-server';

/**
 * A platform the tests control: registered with the tool, serving its JWKS from a
 * loopback server that can be made slow, failing or rotated, and signing whatever
 * id_token a case needs.
 */
export const LTI = 'https://purl.imsglobal.org/spec/lti/claim/';
export const DL = 'https://purl.imsglobal.org/spec/lti-dl/claim/';

export type JwksMode = 'ok' | 'down' | 'slow' | 'garbage';

export interface TestPlatform {
  issuer: string;
  clientId: string;
  deploymentId: string;
  privateKey: KeyLike;
  publicJwk: JWK;
  kid: string;
  jwksMode: JwksMode;
  jwksHits: number;
  servedKeys: JWK[];
  close(): Promise<void>;
}

export const random = () => randomBytes(6).toString('hex');

export async function newKey(kid = random()): Promise<{ privateKey: KeyLike; publicJwk: JWK; kid: string }> {
  const { privateKey, publicKey } = await generateKeyPair('RS256', { extractable: true });
  return { privateKey, publicJwk: { ...(await exportJWK(publicKey)), kid, alg: 'RS256', use: 'sig' }, kid };
}

export async function createTestPlatform(options: { extraClientIds?: string[] } = {}): Promise<TestPlatform> {
  const key = await newKey();
  const platform = { issuer: `https://platform-${random()}.test`, clientId: `client-${random()}`, deploymentId: `dep-${random()}`, ...key, jwksMode: 'ok' as JwksMode, jwksHits: 0, servedKeys: [key.publicJwk] } as TestPlatform;
  const server = http.createServer((_req, res) => {
    platform.jwksHits += 1;
    if (platform.jwksMode === 'down') return res.writeHead(503).end('down');
    if (platform.jwksMode === 'garbage') return res.writeHead(200, { 'content-type': 'application/json' }).end('{"keys": "nope"');
    const send = () => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: platform.servedKeys }));
    if (platform.jwksMode === 'slow') setTimeout(send, 6_000).unref();
    else send();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const jwksUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/jwks`;
  platform.close = () => {
    server.closeAllConnections();
    return new Promise<void>((resolve) => server.close(() => resolve()));
  };
  for (const clientId of [platform.clientId, ...(options.extraClientIds ?? [])]) {
    await registerPlatform(
      { issuer: platform.issuer, name: 'Security test platform', clientId, authEndpoint: `${platform.issuer}/auth`, tokenEndpoint: `${platform.issuer}/token`, jwksUrl, deploymentIds: [platform.deploymentId], registeredBy: 'cli' },
      { allowHttp: true },
    );
  }
  return platform;
}

export const launchUrl = () => `${testServer().baseUrl}/lti/launch`;

export interface Login {
  agent: ReturnType<typeof request.agent>;
  state: string;
  nonce: string;
}

/** Drives the OIDC login and reads state and nonce from the redirect to the platform. */
export async function login(platform: TestPlatform, extra: Record<string, string> = {}, agent = request.agent(testServer().baseUrl)): Promise<Login> {
  const res = await agent
    .get('/lti/login')
    .query({ iss: platform.issuer, client_id: platform.clientId, login_hint: 'hint', target_link_uri: launchUrl(), lti_deployment_id: platform.deploymentId, ...extra });
  expect(res.status, res.text).to.equal(302);
  const location = new URL(res.headers.location as string);
  return { agent, state: location.searchParams.get('state') ?? '', nonce: location.searchParams.get('nonce') ?? '' };
}

/** Valid resource link claims; a case overrides or (with undefined) removes what it tests. */
export function validClaims(platform: TestPlatform, nonce: string, sub: string): Record<string, unknown> {
  return {
    iss: platform.issuer,
    aud: platform.clientId,
    sub,
    nonce,
    name: 'Ada Lovelace',
    email: 'ada@example.test',
    [`${LTI}message_type`]: 'LtiResourceLinkRequest',
    [`${LTI}version`]: '1.3.0',
    [`${LTI}deployment_id`]: platform.deploymentId,
    [`${LTI}target_link_uri`]: launchUrl(),
    [`${LTI}resource_link`]: { id: `rl-${random()}`, title: 'Practicum log' },
    [`${LTI}roles`]: ['http://purl.imsglobal.org/vocab/lis/v2/membership#Learner'],
    [`${LTI}context`]: { id: `ctx-${random()}`, title: 'EDU 600' },
  };
}

export async function sign(claims: Record<string, unknown>, key: KeyLike, header: Record<string, unknown>, times: { iat?: number; exp?: number } = {}): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  const body = Object.fromEntries(Object.entries(claims).filter(([, v]) => v !== undefined));
  return new SignJWT(body)
    .setProtectedHeader({ alg: 'RS256', ...header })
    .setIssuedAt(times.iat ?? now)
    .setExpirationTime(times.exp ?? now + 300)
    .sign(key);
}

export function signFor(platform: TestPlatform, claims: Record<string, unknown>, times?: { iat?: number; exp?: number }): Promise<string> {
  return sign(claims, platform.privateKey, { kid: platform.kid }, times);
}

/** What a launch may write for a user: ltijs's token records and our user record. */
export async function writtenFor(sub: string): Promise<number> {
  const db = mongoose.connection;
  const counts = await Promise.all([
    db.collection('idtokens').countDocuments({ user: sub }),
    db.collection('contexttokens').countDocuments({ user: sub }),
    db.collection('lti_users').countDocuments({ sub }),
  ]);
  return counts.reduce((a, b) => a + b, 0);
}

/** Posts a launch and asserts a 4xx with the given error id, nothing written, no session cookie and a healthy server. */
export async function expectRefused(agent: Login['agent'], form: Record<string, string>, sub: string, expected: { status?: number; error?: string | RegExp } = {}) {
  const res = await agent.post('/lti/launch').set('Accept', 'application/json').type('form').send(form);
  expect(res.status, res.text).to.be.within(400, 499);
  if (expected.status) expect(res.status, res.text).to.equal(expected.status);
  if (typeof expected.error === 'string') expect(res.body.error, res.text).to.equal(expected.error);
  if (expected.error instanceof RegExp) expect(res.body.error, res.text).to.match(expected.error);
  expect(res.text).not.to.match(/\bat .+\.(ts|js):\d+/);
  const cookies = ([] as string[]).concat(res.headers['set-cookie'] ?? []);
  expect(cookies.filter((c) => c.startsWith('lti')), 'no session cookie').to.deep.equal([]);
  expect(await writtenFor(sub)).to.equal(0);
  expect((await request(testServer().baseUrl).get('/health')).status).to.equal(200);
  return res;
}

/** A full successful launch: 302 with an ltik from ltijs, then the launch page (idtoken, contexttoken, and lti_users for a resource link). */
export async function expectAccepted(agent: Login['agent'], form: Record<string, string>, sub: string, expectedRecords = 3) {
  const res = await agent.post('/lti/launch').type('form').send(form);
  expect(res.status, res.text).to.equal(302);
  expect(res.headers.location).to.match(/ltik=/);
  const next = new URL(res.headers.location as string, testServer().baseUrl);
  const page = await agent.get(next.pathname + next.search);
  expect(page.status, page.text).to.equal(200);
  expect(await writtenFor(sub)).to.equal(expectedRecords);
  return page;
}

export const uniqueSub = () => `sub-${random()}`;
