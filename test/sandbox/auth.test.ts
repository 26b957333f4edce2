import { expect } from 'chai';
import { createLocalJWKSet, jwtVerify } from 'jose';
import request from 'supertest';
import { ROLE } from '../../src/sandbox';
import { parseIframeSrc } from '../helpers/sandbox-launch';
import { testServer } from '../helpers/test-server';
import { buildCourse, identity, idTokenFor } from './sandbox-kit';

const LTI = 'https://purl.imsglobal.org/spec/lti/claim';

async function verifiedClaims(idToken: string) {
  const jwks = await request(testServer().baseUrl).get('/sandbox/jwks').expect(200);
  const { payload, protectedHeader } = await jwtVerify(idToken, createLocalJWKSet(jwks.body), { issuer: identity().issuer, audience: identity().clientId, algorithms: ['RS256'] });
  return { payload, protectedHeader };
}

describe('Sandbox LMS: OIDC auth endpoint and id_token', () => {
  it('publishes only public key members in its JWKS', async () => {
    const res = await request(testServer().baseUrl).get('/sandbox/jwks').expect(200);
    expect(res.body.keys).to.have.length(1);
    const key = res.body.keys[0];
    expect(key).to.include({ kty: 'RSA', alg: 'RS256', use: 'sig' });
    expect(key.kid).to.be.a('string');
    for (const member of ['d', 'p', 'q', 'dp', 'dq', 'qi']) expect(key).not.to.have.property(member);
  });

  it('puts a titled iframe pointing at the tool login with every third-party login parameter', async () => {
    const c = await buildCourse();
    const res = await request(testServer().baseUrl).get(`/sandbox/launch/${c.resourceLink.id}/${c.candidate.id}`).expect(200);
    expect(res.text).to.match(/<iframe[^>]+title="Fieldbook: Practicum log"/);
    const url = new URL(parseIframeSrc(res.text));
    expect(url.origin + url.pathname).to.equal(identity().toolLoginUrl);
    expect(Object.fromEntries(url.searchParams)).to.include({
      iss: identity().issuer,
      login_hint: c.candidate.id,
      target_link_uri: identity().toolLaunchUrl,
      client_id: identity().clientId,
      lti_deployment_id: identity().deploymentId,
    });
    expect(url.searchParams.get('lti_message_hint')).to.have.length.greaterThan(20);
  });

  it('refuses a placement the person may not launch (deep linking as a candidate)', async () => {
    const c = await buildCourse();
    await request(testServer().baseUrl).get(`/sandbox/launch/${c.deepLinking.id}/${c.candidate.id}`).expect(403);
  });

  for (const [name, overrides] of [
    ['scope without openid', { scope: 'profile' }],
    ['response_type code', { response_type: 'code' }],
    ['response_mode query', { response_mode: 'query' }],
    ['prompt login', { prompt: 'login' }],
    ['unknown client_id', { client_id: 'someone-else' }],
    ['unregistered redirect_uri', { redirect_uri: 'http://evil.example/lti/launch' }],
    ['redirect_uri with a query string', { redirect_uri: `${'REPLACE'}` }],
    ['missing nonce', { nonce: '' }],
    ['missing state', { state: '' }],
    ['login_hint of another person', { login_hint: '0123456789abcdef01234567' }],
    ['unknown lti_message_hint', { lti_message_hint: 'forged' }],
    ['another deployment', { lti_deployment_id: 'other-deployment' }],
  ] as Array<[string, Record<string, string>]>) {
    it(`answers 400 for ${name}`, async () => {
      const c = await buildCourse();
      const o = { ...overrides };
      if (o.redirect_uri === 'REPLACE') o.redirect_uri = `${identity().toolLaunchUrl}?x=1`;
      const { res, idToken } = await idTokenFor(c.candidate.id, c.resourceLink.id, o);
      expect(res.status).to.equal(400);
      expect(idToken).to.equal(null);
      expect(res.text).not.to.match(/at \w+ \(/); // no stack trace
    });
  }

  it('signs a resource-link id_token with every claim a Canvas launch carries', async () => {
    const c = await buildCourse();
    const { res, idToken, params, action } = await idTokenFor(c.candidate.id, c.resourceLink.id);
    expect(res.status).to.equal(200);
    expect(action).to.equal('/lti/launch');
    expect(res.text).to.include('/static/sandbox/auto-submit.js');
    expect(res.text).to.match(/<button type="submit"/);
    const { payload, protectedHeader } = await verifiedClaims(idToken as string);
    expect(protectedHeader.kid).to.be.a('string');
    expect(payload).to.include({ sub: c.candidate.sub, nonce: params.nonce, azp: identity().clientId, name: 'Cara Candidate', email: 'cara@example.edu' });
    expect((payload.exp as number) - (payload.iat as number)).to.equal(300);
    expect(payload[`${LTI}/message_type`]).to.equal('LtiResourceLinkRequest');
    expect(payload[`${LTI}/version`]).to.equal('1.3.0');
    expect(payload[`${LTI}/deployment_id`]).to.equal(identity().deploymentId);
    expect(payload[`${LTI}/resource_link`]).to.deep.equal({ id: c.resourceLink.resourceLinkId, title: 'Practicum log' });
    expect(payload[`${LTI}/roles`]).to.include(ROLE.learner);
    expect(payload[`${LTI}/context`]).to.include({ id: c.course.id, title: c.course.title, label: c.course.label });
    expect(payload[`${LTI}/launch_presentation`]).to.include({ document_target: 'iframe' });
    expect(payload[`${LTI}/custom`]).to.deep.equal({ activity: 'practicum', observees: '' });
    const ags = payload['https://purl.imsglobal.org/spec/lti-ags/claim/endpoint'] as { lineitems: string; scope: string[] };
    expect(ags.lineitems).to.equal(`${identity().issuer}/ags/${c.course.id}/lineitems`);
    expect(ags.scope).to.include('https://purl.imsglobal.org/spec/lti-ags/scope/score');
    expect(payload['https://purl.imsglobal.org/spec/lti-nrps/claim/namesroleservice']).to.deep.equal({
      context_memberships_url: `${identity().issuer}/nrps/${c.course.id}/memberships`,
      service_versions: ['2.0'],
    });
  });

  it('names a mentor’s mentees in role_scope_mentor and in custom observees', async () => {
    const c = await buildCourse();
    const { idToken } = await idTokenFor(c.mentor.id, c.resourceLink.id);
    const { payload } = await verifiedClaims(idToken as string);
    expect(payload[`${LTI}/roles`]).to.include(ROLE.mentor);
    expect(payload[`${LTI}/role_scope_mentor`]).to.deep.equal([c.candidate.sub]);
    expect((payload[`${LTI}/custom`] as Record<string, string>).observees).to.equal(c.candidate.sub);
  });

  it('marks the Student View user as Learner + TestUser', async () => {
    const c = await buildCourse();
    const { idToken } = await idTokenFor(c.testStudent.id, c.resourceLink.id);
    const { payload } = await verifiedClaims(idToken as string);
    expect(payload[`${LTI}/roles`]).to.include.members([ROLE.learner, ROLE.testUser]);
  });

  it('sends account navigation without a course context, leaving course variables unexpanded', async () => {
    const c = await buildCourse();
    const { idToken } = await idTokenFor(c.coordinator.id, c.accountNav.id);
    const { payload } = await verifiedClaims(idToken as string);
    expect(payload).not.to.have.property(`${LTI}/context`);
    expect(payload[`${LTI}/roles`]).to.include.members([ROLE.institutionAdmin, ROLE.membershipAdmin]);
    expect(payload[`${LTI}/custom`]).to.deep.equal({ fieldbook_role: 'coordinator', observees: '$com.instructure.User.observees' });
  });

  it('sends deep_linking_settings to faculty on the deep-linking placement', async () => {
    const c = await buildCourse();
    const { idToken } = await idTokenFor(c.faculty.id, c.deepLinking.id);
    const { payload } = await verifiedClaims(idToken as string);
    expect(payload[`${LTI}/message_type`]).to.equal('LtiDeepLinkingRequest');
    expect(payload).not.to.have.property(`${LTI}/resource_link`);
    const settings = payload['https://purl.imsglobal.org/spec/lti-dl/claim/deep_linking_settings'] as Record<string, unknown>;
    expect(settings).to.include({ deep_link_return_url: `${identity().issuer}/deep-link-return`, accept_multiple: false });
    expect(settings.accept_types).to.deep.equal(['ltiResourceLink']);
    expect(settings.accept_presentation_document_targets).to.deep.equal(['iframe', 'window']);
    expect(settings.data).to.be.a('string');
  });
});
