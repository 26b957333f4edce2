import { randomBytes } from 'node:crypto';
import { Types } from 'mongoose';
import type { AppConfig } from '../platform/config';
import { getSandboxCourse, getSandboxPerson, getSandboxPlacement, type SandboxCourseView, type SandboxPersonView, type SandboxPlacementView } from './course.service';
import { canAddContent, isInstitutionAdmin } from './roles.service';
import { SandboxError } from './sandbox.errors';
import { sandboxIdentity } from './sandbox.identity';
import { SandboxLaunchRequest } from './sandbox.models';
import type { LtiMessageType } from './sandbox.types';

/** Canvas's lti_message_hint is valid for a few minutes; a reloaded iframe may reuse it meanwhile. */
const HINT_LIFETIME_MS = 10 * 60 * 1000;

export interface LaunchParts {
  person: SandboxPersonView;
  placement: SandboxPlacementView;
  course: SandboxCourseView | null;
  messageType: LtiMessageType;
}

export interface PreparedLaunch extends LaunchParts {
  hint: string;
  loginUrl: string;
}

const forbidden = (message: string): SandboxError => new SandboxError(403, 'forbidden', message);

/** Loads and checks who may launch what, the way the LMS only shows a placement to those who may use it. */
export async function loadLaunchParts(personId: string, placementId: string): Promise<LaunchParts> {
  const [person, placement] = await Promise.all([getSandboxPerson(personId), getSandboxPlacement(placementId)]);
  if (placement.courseId && placement.courseId !== person.courseId) throw forbidden(`${person.name} is not enrolled in the course of "${placement.title}".`);
  if (placement.kind === 'deep_linking' && !canAddContent(person.roles)) throw forbidden('Only teachers and designers can add content (deep linking).');
  if (placement.kind === 'account_navigation' && !isInstitutionAdmin(person.roles)) throw forbidden('Account navigation is shown to account administrators only.');
  const course = placement.courseId ? await getSandboxCourse(placement.courseId) : null;
  const messageType: LtiMessageType = placement.kind === 'deep_linking' ? 'LtiDeepLinkingRequest' : 'LtiResourceLinkRequest';
  return { person, placement, course, messageType };
}

/** The target_link_uri of a placement: its own URL (deep-linked items), else the tool's launch URL. */
export function targetLinkUri(config: Pick<AppConfig, 'publicUrl'>, placement: SandboxPlacementView): string {
  return placement.kind !== 'deep_linking' && placement.url ? placement.url : sandboxIdentity(config).toolLaunchUrl;
}

/** Stores the launch behind an opaque lti_message_hint and builds the third-party initiated login URL. */
export async function prepareLaunch(
  config: Pick<AppConfig, 'publicUrl'>,
  personId: string,
  placementId: string,
  options: { storageTarget?: string } = {},
): Promise<PreparedLaunch> {
  const parts = await loadLaunchParts(personId, placementId);
  const id = sandboxIdentity(config);
  const hint = randomBytes(24).toString('base64url');
  await SandboxLaunchRequest.create({
    hint,
    personId: new Types.ObjectId(parts.person.id),
    courseId: parts.course ? new Types.ObjectId(parts.course.id) : null,
    placementId: new Types.ObjectId(parts.placement.id),
    messageType: parts.messageType,
    createdAt: new Date(),
    expiresAt: new Date(Date.now() + HINT_LIFETIME_MS),
  });
  const login = new URL(id.toolLoginUrl);
  login.search = new URLSearchParams({
    iss: id.issuer,
    login_hint: parts.person.id,
    target_link_uri: targetLinkUri(config, parts.placement),
    lti_message_hint: hint,
    client_id: id.clientId,
    lti_deployment_id: id.deploymentId,
    // LTI platform storage offered, as Canvas does (lti_storage_target=post_message_forwarding).
    ...(options.storageTarget ? { lti_storage_target: options.storageTarget } : {}),
  }).toString();
  return { ...parts, hint, loginUrl: login.toString() };
}

/** Resolves an lti_message_hint received at the auth endpoint; unknown or expired hints are refused. */
export async function resolveLaunchHint(hint: string): Promise<LaunchParts & { personId: string }> {
  const doc = await SandboxLaunchRequest.findOne({ hint });
  if (!doc || doc.expiresAt.getTime() < Date.now()) throw new SandboxError(400, 'invalid_request', 'lti_message_hint is unknown or expired.');
  const parts = await loadLaunchParts(doc.personId.toHexString(), doc.placementId.toHexString());
  return { ...parts, personId: doc.personId.toHexString() };
}
