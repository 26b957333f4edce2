/** The Sandbox LMS's public API: what the app, the test harness and tests use. */
export { createSandboxRouter } from './sandbox.routes';
export type { SandboxDeps, AgsMode, PlacementKind, RolePreset, ScoringMode } from './sandbox.types';
export { sandboxIdentity, type SandboxIdentity } from './sandbox.identity';
export { ensureSandboxReady } from './sandbox.service';
export {
  addSandboxPerson,
  createSandboxCourse,
  createSandboxPlacement,
  getSandboxCourse,
  getSandboxPerson,
  getSandboxPlacement,
  listSandboxPeople,
  listSandboxPlacements,
  type SandboxCourseView,
  type SandboxPersonView,
  type SandboxPlacementView,
} from './course.service';
export { copySandboxCourse } from './course-copy.service';
export { setSandboxAgsMode, getSandboxAgsMode, getSandboxTokenStats, setSandboxScoringMode, getSandboxScoringMode } from './settings.service';
export { getSandboxScores, getSandboxGrade, getSandboxRejectedScores } from './score.service';
export { createLineItem as createSandboxLineItem, presentLineItem } from './ags.service';
export { recordSandboxMail, listSandboxMail, getSandboxMail, findSandboxMailTo } from './mail.service';
export { issueSandboxAccessTokenForTests, revokeSandboxTokens } from './token.service';
export { AGS_SCOPES, NRPS_SCOPE } from './id-token.service';
export { ROLE, rolesForPreset } from './roles.service';
