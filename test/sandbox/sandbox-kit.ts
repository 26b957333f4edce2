import { createPrivateKey, randomUUID, type KeyObject } from 'node:crypto';
import { generateKeyPair, SignJWT, type JWTPayload, type KeyLike } from 'jose';
import request from 'supertest';
import { lti } from '../../src/lti/ltijs';
import { addSandboxPerson, createSandboxCourse, createSandboxPlacement, sandboxIdentity, type SandboxIdentity } from '../../src/sandbox';
import { testServer } from '../helpers/test-server';
import { localPath, openLaunchPage, parseForm, type Agent } from '../helpers/sandbox-launch';

/** Factories and signers shared by the Sandbox tests. Every test builds its own course. */

export function identity(): SandboxIdentity {
  return sandboxIdentity(testServer().config);
}

export async function buildCourse(title = 'EDL 620 — Test course') {
  const course = await createSandboxCourse({ title, label: `T${randomUUID().slice(0, 6)}` });
  const candidate = await addSandboxPerson(course.id, { name: 'Cara Candidate', given: 'Cara', family: 'Candidate', email: 'cara@example.edu', roles: 'candidate' });
  const testStudent = await addSandboxPerson(course.id, { name: 'Test Student', roles: 'test-student' });
  const faculty = await addSandboxPerson(course.id, { name: 'Fay Faculty', email: 'fay@example.edu', roles: 'faculty' });
  const mentor = await addSandboxPerson(course.id, { name: 'Mo Mentor', roles: 'mentor', menteeIds: [candidate.id] });
  const coordinator = await addSandboxPerson(course.id, { name: 'Cody Coordinator', roles: 'coordinator' });
  const resourceLink = await createSandboxPlacement(course.id, { kind: 'resource_link', title: 'Practicum log', custom: { activity: 'practicum' } });
  const deepLinking = await createSandboxPlacement(course.id, { kind: 'deep_linking', title: 'Add activity' });
  const accountNav = await createSandboxPlacement(null, { kind: 'account_navigation', title: 'Coordinator view', custom: { fieldbook_role: 'coordinator' } });
  return { course, candidate, testStudent, faculty, mentor, coordinator, resourceLink, deepLinking, accountNav };
}

export interface Signer {
  kid: string;
  key: KeyLike | KeyObject;
}

/** The tool's own signing key for the Sandbox platform (ltijs keeps it, encrypted, in the shared DB). */
export async function toolSigner(): Promise<Signer> {
  const id = identity();
  const platform = (await lti.getPlatform(id.issuer, id.clientId)) as unknown as { platformPrivateKey(): Promise<string>; platformKid(): Promise<string> } | false;
  if (!platform) throw new Error('The Sandbox is not registered with the tool');
  // As ltijs signs: the private key first (the active one, after a rotation), then the kid it names.
  const key = createPrivateKey(await platform.platformPrivateKey());
  return { kid: await platform.platformKid(), key };
}

/** A key the tool's JWKS does not contain. */
export async function strangerSigner(kid = 'not-in-tool-jwks'): Promise<Signer> {
  const { privateKey } = await generateKeyPair('RS256', { modulusLength: 2048 });
  return { kid, key: privateKey };
}

export async function sign(signer: Signer, claims: JWTPayload, expiresIn: string | number = '60s'): Promise<string> {
  const jwt = new SignJWT(claims).setProtectedHeader({ alg: 'RS256', kid: signer.kid });
  if (claims.iat === undefined) jwt.setIssuedAt();
  if (claims.exp === undefined) jwt.setExpirationTime(expiresIn);
  return jwt.sign(signer.key);
}

export async function clientAssertion(signer: Signer, overrides: JWTPayload = {}): Promise<string> {
  const id = identity();
  return sign(signer, { iss: id.clientId, sub: id.clientId, aud: id.tokenEndpoint, jti: randomUUID(), ...overrides });
}

export function tokenRequest(assertion: string, scope: string) {
  return request(testServer().baseUrl).post('/sandbox/token').type('form').send({
    grant_type: 'client_credentials',
    client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
    client_assertion: assertion,
    scope,
  });
}

/** The OIDC auth request the tool's login would send, built from a real launch page. */
export async function authParams(agent: Agent, personId: string, placementId: string): Promise<Record<string, string>> {
  const loginUrl = new URL(await openLaunchPage(agent, personId, placementId));
  const q = loginUrl.searchParams;
  return {
    scope: 'openid',
    response_type: 'id_token',
    response_mode: 'form_post',
    prompt: 'none',
    client_id: q.get('client_id') ?? '',
    redirect_uri: identity().toolLaunchUrl,
    login_hint: q.get('login_hint') ?? '',
    lti_message_hint: q.get('lti_message_hint') ?? '',
    lti_deployment_id: q.get('lti_deployment_id') ?? '',
    state: randomUUID(),
    nonce: randomUUID(),
  };
}

/** Calls the Sandbox auth endpoint directly and returns the id_token it posts back (or the response). */
export async function idTokenFor(personId: string, placementId: string, overrides: Record<string, string> = {}) {
  const { baseUrl } = testServer();
  const agent = request.agent(baseUrl);
  const params = { ...(await authParams(agent, personId, placementId)), ...overrides };
  const res = await agent.get(`/sandbox/auth?${new URLSearchParams(params).toString()}`);
  const idToken = res.status === 200 ? parseForm(res.text, 'id_token').fields.id_token : null;
  return { res, idToken, params, action: res.status === 200 ? localPath(baseUrl, parseForm(res.text).action) : null };
}
