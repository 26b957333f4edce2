import { randomBytes } from 'node:crypto';
import { SignJWT, type JWTPayload } from 'jose';
import { Types } from 'mongoose';
import type { AppConfig } from '../platform/config';
import { SandboxLineItem } from './ags.models';
import { expandCustom, TOOL_CONFIG_CUSTOM } from './custom-variables.service';
import { platformSigningKey } from './keys.service';
import { targetLinkUri, type LaunchParts } from './launch.service';
import { ROLE } from './roles.service';
import { sandboxIdentity } from './sandbox.identity';
import { SandboxDeepLinkSession, SandboxPerson } from './sandbox.models';

const LTI = 'https://purl.imsglobal.org/spec/lti/claim';
export const AGS_SCOPES = {
  lineitem: 'https://purl.imsglobal.org/spec/lti-ags/scope/lineitem',
  lineitemReadonly: 'https://purl.imsglobal.org/spec/lti-ags/scope/lineitem.readonly',
  resultReadonly: 'https://purl.imsglobal.org/spec/lti-ags/scope/result.readonly',
  score: 'https://purl.imsglobal.org/spec/lti-ags/scope/score',
} as const;
export const NRPS_SCOPE = 'https://purl.imsglobal.org/spec/lti-nrps/scope/contextmembership.readonly';

/** Canvas's id_token lives an hour, Moodle's 60 s; five minutes sits between and catches slow tools. */
const ID_TOKEN_LIFETIME_S = 5 * 60;
const DEEP_LINK_SESSION_MS = 60 * 60 * 1000;

export interface IdTokenRequest extends LaunchParts {
  nonce: string;
}

async function menteeSubs(menteeIds: string[]): Promise<string[]> {
  if (menteeIds.length === 0) return [];
  const mentees = await SandboxPerson.find({ _id: { $in: menteeIds.map((id) => new Types.ObjectId(id)) } });
  return mentees.map((m) => m.sub);
}

/** Builds every claim Canvas would send for this launch (and the deep-linking session when needed). */
export async function buildIdTokenClaims(config: Pick<AppConfig, 'publicUrl'>, req: IdTokenRequest): Promise<JWTPayload> {
  const id = sandboxIdentity(config);
  const { person, placement, course, messageType } = req;
  const subs = await menteeSubs(person.menteeIds);
  const custom = expandCustom({ ...TOOL_CONFIG_CUSTOM, ...placement.custom }, { person, menteeSubs: subs, course, placement });
  const claims: JWTPayload = {
    nonce: req.nonce,
    azp: id.clientId,
    name: person.name || undefined,
    given_name: person.given || undefined,
    family_name: person.family || undefined,
    email: person.email || undefined,
    [`${LTI}/message_type`]: messageType,
    [`${LTI}/version`]: '1.3.0',
    [`${LTI}/deployment_id`]: id.deploymentId,
    [`${LTI}/target_link_uri`]: targetLinkUri(config, placement),
    [`${LTI}/roles`]: person.roles,
    [`${LTI}/tool_platform`]: { guid: `${id.clientId}-platform`, name: id.name, product_family_code: 'fieldbook-sandbox', version: '1.0' },
    [`${LTI}/launch_presentation`]: {
      document_target: 'iframe',
      locale: 'en',
      return_url: `${id.issuer}/return${course ? `?course_id=${course.id}` : ''}`,
    },
    [`${LTI}/custom`]: custom,
    [`${LTI}/lis`]: { person_sourcedid: person.sisId, ...(course ? { course_offering_sourcedid: course.label } : {}) },
  };
  if (person.roles.includes(ROLE.mentor)) claims[`${LTI}/role_scope_mentor`] = subs;
  if (messageType === 'LtiResourceLinkRequest') {
    claims[`${LTI}/resource_link`] = { id: placement.resourceLinkId, title: placement.title };
  }
  if (course) {
    claims[`${LTI}/context`] = {
      id: course.id,
      label: course.label,
      title: course.title,
      type: ['http://purl.imsglobal.org/vocab/lis/v2/course#CourseOffering'],
    };
    const endpoint: Record<string, unknown> = {
      scope: Object.values(AGS_SCOPES),
      lineitems: `${id.issuer}/ags/${course.id}/lineitems`,
    };
    const lineItem = placement.lineItemId ? await SandboxLineItem.findById(placement.lineItemId) : null;
    if (lineItem) endpoint.lineitem = `${id.issuer}/ags/${course.id}/lineitems/${lineItem._id.toHexString()}`;
    claims['https://purl.imsglobal.org/spec/lti-ags/claim/endpoint'] = endpoint;
    claims['https://purl.imsglobal.org/spec/lti-nrps/claim/namesroleservice'] = {
      context_memberships_url: `${id.issuer}/nrps/${course.id}/memberships`,
      service_versions: ['2.0'],
    };
  }
  if (messageType === 'LtiDeepLinkingRequest' && course) {
    const data = randomBytes(18).toString('base64url');
    const acceptTypes = ['ltiResourceLink'];
    await SandboxDeepLinkSession.create({
      data,
      personId: new Types.ObjectId(person.id),
      courseId: new Types.ObjectId(course.id),
      placementId: new Types.ObjectId(placement.id),
      acceptTypes,
      acceptMultiple: false,
      createdAt: new Date(),
      expiresAt: new Date(Date.now() + DEEP_LINK_SESSION_MS),
      usedAt: null,
    });
    claims['https://purl.imsglobal.org/spec/lti-dl/claim/deep_linking_settings'] = {
      deep_link_return_url: `${id.issuer}/deep-link-return`,
      accept_types: acceptTypes,
      accept_presentation_document_targets: ['iframe', 'window'],
      accept_multiple: false,
      accept_lineitem: true,
      auto_create: true,
      title: placement.title,
      data,
    };
  }
  return JSON.parse(JSON.stringify(claims)) as JWTPayload;
}

/** Signs the id_token with the platform key (RS256, kid in the header). */
export async function signIdToken(config: Pick<AppConfig, 'publicUrl'>, req: IdTokenRequest): Promise<string> {
  const id = sandboxIdentity(config);
  const key = await platformSigningKey();
  const claims = await buildIdTokenClaims(config, req);
  return new SignJWT(claims)
    .setProtectedHeader({ alg: 'RS256', kid: key.kid, typ: 'JWT' })
    .setIssuer(id.issuer)
    .setAudience(id.clientId)
    .setSubject(req.person.sub)
    .setIssuedAt()
    .setExpirationTime(`${ID_TOKEN_LIFETIME_S}s`)
    .sign(key.privateKey);
}
