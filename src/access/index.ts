/** External access (people without an LMS account): the public API of src/access. */
export { createAccessRouter, type AccessRouterDeps } from './access.routes';
export {
  issueAccessLink,
  inspectAccessLink,
  redeemAccessLink,
  revokeAccessLink,
  DEFAULT_LINK_TTL_HOURS,
  type IssueAccessLinkInput,
  type IssuedAccessLink,
  type AccessScope,
  type AccessLinkView,
} from './access-link.service';
export { requireExternalSession, resolveExternalSession, sessionTokenFrom, EXTERNAL_SESSION_HOURS, type ExternalSession } from './external-session.service';
export { recordAccessEvent, listAccessEvents, type AccessActor, type AccessEvent } from './access-audit.service';
export { buildMentorInviteMail, sendMentorInvite, type MentorInviteContent, type SendMentorInviteInput } from './mentor-invite.mail';
export { ACCESS_PURPOSES, type AccessPurpose } from './access-link.model';
