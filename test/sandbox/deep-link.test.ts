import { expect } from 'chai';
import { decodeJwt, type JWTPayload } from 'jose';
import request from 'supertest';
import { listSandboxPlacements } from '../../src/sandbox';
import { SandboxLineItem } from '../../src/sandbox/ags.models';
import { testServer } from '../helpers/test-server';
import { buildCourse, identity, idTokenFor, sign, strangerSigner, toolSigner, type Signer } from './sandbox-kit';

const DL = 'https://purl.imsglobal.org/spec/lti-dl/claim';
const LTI = 'https://purl.imsglobal.org/spec/lti/claim';

async function deepLinkSession() {
  const c = await buildCourse();
  const { idToken } = await idTokenFor(c.faculty.id, c.deepLinking.id);
  const settings = decodeJwt(idToken as string)[`${DL}/deep_linking_settings`] as { data: string };
  return { c, data: settings.data };
}

function responseClaims(data: string, items: unknown[], extra: JWTPayload = {}): JWTPayload {
  return {
    iss: identity().clientId,
    aud: identity().issuer,
    nonce: 'n-1',
    [`${LTI}/message_type`]: 'LtiDeepLinkingResponse',
    [`${LTI}/version`]: '1.3.0',
    [`${LTI}/deployment_id`]: identity().deploymentId,
    [`${DL}/data`]: data,
    [`${DL}/content_items`]: items,
    ...extra,
  };
}

const item = (over: Record<string, unknown> = {}) => ({
  type: 'ltiResourceLink',
  title: 'Practicum log — fall',
  url: `${identity().toolLaunchUrl}?activity=abc`,
  custom: { activity_id: 'abc' },
  lineItem: { scoreMaximum: 100, label: 'Practicum log', resourceId: 'abc', tag: 'practicum' },
  ...over,
});

async function post(signer: Signer, claims: JWTPayload, expiresIn: string | number = '60s') {
  return request(testServer().baseUrl).post('/sandbox/deep-link-return').type('form').send({ JWT: await sign(signer, claims, expiresIn) });
}

describe('Sandbox LMS: deep-linking return', () => {
  it('adds the returned resource link and its gradebook column, and shows the tool message', async () => {
    const { c, data } = await deepLinkSession();
    const res = await post(await toolSigner(), responseClaims(data, [item()], { [`${DL}/msg`]: 'Activity created' }));
    expect(res.status, res.text).to.equal(200);
    expect(res.text).to.include('Practicum log — fall').and.include('Activity created').and.include('out of 100');
    const placement = (await listSandboxPlacements(c.course.id)).find((p) => p.createdByDeepLink);
    expect(placement).to.include({ kind: 'resource_link', title: 'Practicum log — fall', url: `${identity().toolLaunchUrl}?activity=abc` });
    expect(placement?.custom).to.deep.equal({ activity_id: 'abc' });
    const lineItem = await SandboxLineItem.findById(placement?.lineItemId).lean();
    expect(lineItem).to.include({ label: 'Practicum log', scoreMaximum: 100, resourceId: 'abc', tag: 'practicum', resourceLinkId: placement?.resourceLinkId });

    // A launch of the new link now carries the line item URL, like Moodle and Canvas do.
    const { idToken } = await idTokenFor(c.candidate.id, placement?.id as string);
    const ags = decodeJwt(idToken as string)['https://purl.imsglobal.org/spec/lti-ags/claim/endpoint'] as { lineitem: string };
    expect(ags.lineitem).to.equal(`${identity().issuer}/ags/${c.course.id}/lineitems/${placement?.lineItemId}`);

    const replay = await post(await toolSigner(), responseClaims(data, [item()]));
    expect(replay.status).to.equal(400);
  });

  it('refuses a form without JWT and a JWT that is garbage', async () => {
    const api = request(testServer().baseUrl);
    await api.post('/sandbox/deep-link-return').type('form').send({}).expect(400);
    const res = await api.post('/sandbox/deep-link-return').type('form').send({ JWT: 'garbage' }).expect(400);
    expect(res.text).to.include('rejected');
  });

  const cases: Array<[string, (data: string) => JWTPayload, boolean?]> = [
    ['a JWT signed with a key outside the tool JWKS', (d) => responseClaims(d, [item()]), true],
    ['iss ≠ client_id', (d) => responseClaims(d, [item()], { iss: 'someone' })],
    ['aud ≠ platform issuer', (d) => responseClaims(d, [item()], { aud: 'https://canvas.instructure.com' })],
    ['an unknown deployment_id', (d) => responseClaims(d, [item()], { [`${LTI}/deployment_id`]: 'other' })],
    ['the wrong message_type', (d) => responseClaims(d, [item()], { [`${LTI}/message_type`]: 'LtiResourceLinkRequest' })],
    ['the wrong version', (d) => responseClaims(d, [item()], { [`${LTI}/version`]: '1.1' })],
    ['data not echoed', (d) => responseClaims(d, [item()], { [`${DL}/data`]: `${d}x` })],
    ['no nonce', (d) => responseClaims(d, [item()], { nonce: undefined })],
    ['an iat in the future', (d) => responseClaims(d, [item()], { iat: Math.floor(Date.now() / 1000) + 600, exp: Math.floor(Date.now() / 1000) + 660 })],
    ['an expired JWT', (d) => responseClaims(d, [item()], { iat: Math.floor(Date.now() / 1000) - 600, exp: Math.floor(Date.now() / 1000) - 300 })],
    ['a long-lived JWT', (d) => responseClaims(d, [item()], { exp: Math.floor(Date.now() / 1000) + 86400 })],
    ['two items when accept_multiple is false', (d) => responseClaims(d, [item(), item({ title: 'Second' })])],
    ['an item type that was not accepted', (d) => responseClaims(d, [{ type: 'html', html: '<p>x</p>' }])],
    ['a url on another host', (d) => responseClaims(d, [item({ url: 'https://evil.example/launch' })])],
    ['a non-string custom value', (d) => responseClaims(d, [item({ custom: { n: 1 } })])],
  ];
  for (const [name, claims, stranger] of cases) {
    it(`refuses ${name} and adds nothing`, async () => {
      const { c, data } = await deepLinkSession();
      const res = await post(stranger ? await strangerSigner() : await toolSigner(), claims(data));
      expect(res.status, res.text.slice(0, 300)).to.equal(400);
      expect(res.text).not.to.match(/at \w+ \(/);
      expect((await listSandboxPlacements(c.course.id)).filter((p) => p.createdByDeepLink)).to.have.length(0);
    });
  }

  it('accepts an empty selection (the teacher cancelled) and shows the error message', async () => {
    const { data } = await deepLinkSession();
    const res = await post(await toolSigner(), responseClaims(data, [], { [`${DL}/errormsg`]: 'Nothing chosen' }));
    expect(res.status).to.equal(200);
    expect(res.text).to.include('Nothing chosen').and.include('nothing was added');
  });
});
