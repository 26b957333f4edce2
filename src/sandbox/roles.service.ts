import type { RolePreset } from './sandbox.types';

const LIS = 'http://purl.imsglobal.org/vocab/lis/v2';
export const ROLE = {
  learner: `${LIS}/membership#Learner`,
  instructor: `${LIS}/membership#Instructor`,
  teachingAssistant: `${LIS}/membership/Instructor#TeachingAssistant`,
  mentor: `${LIS}/membership#Mentor`,
  contentDeveloper: `${LIS}/membership#ContentDeveloper`,
  membershipAdmin: `${LIS}/membership#Administrator`,
  institutionStudent: `${LIS}/institution/person#Student`,
  institutionInstructor: `${LIS}/institution/person#Instructor`,
  institutionAdmin: `${LIS}/institution/person#Administrator`,
  systemUser: `${LIS}/system/person#User`,
  /** The LTI (not LIS) vocabulary, as the core spec and Canvas use it. */
  testUser: 'http://purl.imsglobal.org/vocab/lti/system/person#TestUser',
} as const;

/** What Canvas sends for each enrollment type (see shared/lti.md, "Platform quirks"). */
const PRESET_ROLES: Record<RolePreset, string[]> = {
  candidate: [ROLE.institutionStudent, ROLE.learner, ROLE.systemUser],
  faculty: [ROLE.institutionInstructor, ROLE.instructor, ROLE.systemUser],
  ta: [ROLE.institutionStudent, ROLE.teachingAssistant, ROLE.instructor, ROLE.systemUser],
  mentor: [ROLE.mentor, ROLE.systemUser],
  coordinator: [ROLE.institutionAdmin, ROLE.membershipAdmin, ROLE.systemUser],
  designer: [ROLE.contentDeveloper, ROLE.systemUser],
  'test-student': [ROLE.learner, ROLE.testUser],
};

export function rolesForPreset(preset: RolePreset): string[] {
  return [...PRESET_ROLES[preset]];
}

/** Short names (e.g. "Learner") are accepted as membership roles, like the spec's simple names. */
export function normalizeRole(role: string): string {
  return role.includes('://') ? role : `${LIS}/membership#${role}`;
}

export const isTestUser = (roles: string[]): boolean => roles.includes(ROLE.testUser);
export const isLearner = (roles: string[]): boolean => roles.includes(ROLE.learner);
/** Canvas and Moodle grade only students; Student View users never get a grade. */
export const isGradable = (roles: string[]): boolean => isLearner(roles) && !isTestUser(roles);
export const canAddContent = (roles: string[]): boolean =>
  [ROLE.instructor, ROLE.contentDeveloper, ROLE.membershipAdmin, ROLE.institutionAdmin].some((r) => roles.includes(r));
export const isInstitutionAdmin = (roles: string[]): boolean => roles.includes(ROLE.institutionAdmin);

/** "membership#Learner" → "Learner", "membership/Instructor#TeachingAssistant" → "TeachingAssistant". */
export function shortRoleName(role: string): string {
  const scope = /\/(institution|system)\//.exec(role)?.[1];
  const name = role.split('#').pop() ?? role;
  return scope ? `${name} (${scope})` : name;
}
