import { randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, SignJWT, type JWK, type KeyLike } from 'jose';

/**
 * The benchmark's one LTI platform: an RS256 key, a JWKS served on 127.0.0.1, and
 * id_token signing. Both tools under test register this same platform.
 */
export const LTI = 'https://purl.imsglobal.org/spec/lti/claim/';

export interface BenchPlatform {
  issuer: string;
  clientId: string;
  deploymentId: string;
  authEndpoint: string;
  tokenEndpoint: string;
  jwksUrl: string;
  jwksHits: () => number;
  sign(claims: Record<string, unknown>): Promise<string>;
  close(): Promise<void>;
}

export async function startBenchPlatform(): Promise<BenchPlatform> {
  const kid = `bench-${randomBytes(4).toString('hex')}`;
  const { privateKey, publicKey } = await generateKeyPair('RS256', { extractable: true });
  const publicJwk: JWK = { ...(await exportJWK(publicKey)), kid, alg: 'RS256', use: 'sig' };
  const body = JSON.stringify({ keys: [publicJwk] });
  let hits = 0;
  const server = http.createServer((_req, res) => {
    hits += 1;
    res.writeHead(200, { 'content-type': 'application/json' }).end(body);
  });
  server.keepAliveTimeout = 65_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const jwksUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/jwks`;
  const issuer = 'https://bench-platform.test';
  const key: KeyLike = privateKey;
  return {
    issuer,
    clientId: 'bench-client',
    deploymentId: 'bench-deployment',
    authEndpoint: `${issuer}/auth`,
    tokenEndpoint: `${issuer}/token`,
    jwksUrl,
    jwksHits: () => hits,
    sign(claims) {
      const now = Math.floor(Date.now() / 1000);
      return new SignJWT(claims).setProtectedHeader({ alg: 'RS256', kid }).setIssuedAt(now).setExpirationTime(now + 300).sign(key);
    },
    close() {
      server.closeAllConnections();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** A learner resource-link launch, as an LMS would send it. */
export function learnerClaims(platform: BenchPlatform, nonce: string, targetLinkUri: string, user: number): Record<string, unknown> {
  return {
    iss: platform.issuer,
    aud: platform.clientId,
    sub: `bench-user-${user}`,
    nonce,
    name: `Bench Learner ${user}`,
    email: `learner${user}@bench.test`,
    [`${LTI}message_type`]: 'LtiResourceLinkRequest',
    [`${LTI}version`]: '1.3.0',
    [`${LTI}deployment_id`]: platform.deploymentId,
    [`${LTI}target_link_uri`]: targetLinkUri,
    [`${LTI}resource_link`]: { id: 'bench-resource-link', title: 'Practicum log' },
    [`${LTI}roles`]: ['http://purl.imsglobal.org/vocab/lis/v2/membership#Learner'],
    [`${LTI}context`]: { id: 'bench-context', title: 'EDU 600 Bench', label: 'EDU600' },
  };
}
