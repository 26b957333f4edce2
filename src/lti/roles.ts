/**
 * The one place where LTI role claims become Fieldbook roles.
 *
 * Decisions (each covered by test/lti/roles.test.ts):
 * - CONTEXT (membership) roles decide faculty / designer / mentor / candidate whenever the launch
 *   carries any: Canvas sends institution#Instructor for anyone employed as faculty, even in a course
 *   where they are enrolled as a student (membership Learner) — that person stays a candidate there.
 * - Only a launch with NO membership role at all falls back to institution roles: institution
 *   Instructor → faculty, institution Learner / Student → candidate. The 1EdTech reference platform
 *   sends only institution roles on deep linking, so without the fallback its instructor could not
 *   place an activity. System roles other than Administrator never elevate, and the fallback does not
 *   open the coordinator placement (that still needs a membership Instructor or an Administrator).
 * - Administrator at any level (membership, institution, system, incl. Canvas SysAdmin) makes the
 *   person a coordinator. Membership Administrator sub-roles count only for #Administrator and
 *   #SystemAdministrator (external developers / support staff get nothing).
 * - A placement marked as the coordinator view (custom `fieldbook_role=coordinator` or
 *   `coordinator_view=true`) is honoured only for people who already hold an Administrator or a
 *   (membership) Instructor role. Custom parameters are set by the LMS admin, not the user, but a
 *   learner who reaches such a placement still only sees their own work. No other custom value can
 *   grant a role.
 * - An empty or entirely unknown role set maps to `candidate`, the least-privileged view (a
 *   candidate sees only their own work). A missing / non-array roles claim is an invalid launch.
 * - Mentees are only reported for people holding the mentor role.
 */

import { AppError } from '../platform/errors';

export type FieldbookRole = 'candidate' | 'faculty' | 'mentor' | 'coordinator' | 'designer';

/** Highest privilege first; `primary` is the first role held in this order. */
export const ROLE_PRECEDENCE: readonly FieldbookRole[] = ['coordinator', 'faculty', 'designer', 'mentor', 'candidate'];

export interface RoleMappingInput {
  /** The https://purl.imsglobal.org/spec/lti/claim/roles claim as received. */
  roles: unknown;
  /** The custom claim (set by the LMS admin per placement). */
  custom?: Record<string, unknown>;
  /** Accepted so callers can pass the launch as is; a launch without context (account_navigation) maps the same way. */
  context?: { id?: string } | undefined;
  /** The https://purl.imsglobal.org/spec/lti/claim/role_scope_mentor claim. */
  roleScopeMentor?: unknown;
}

export interface RoleMapping {
  primary: FieldbookRole;
  roles: FieldbookRole[];
  isTestUser: boolean;
  isAdministrator: boolean;
  menteeSubs: string[];
  raw: string[];
}

/** The launch's roles claim is missing or not an array: the launch must be rejected. */
export class RoleClaimError extends AppError {
  constructor(message = 'The LTI launch has no roles claim (https://purl.imsglobal.org/spec/lti/claim/roles must be an array).') {
    super(400, 'roles_claim_missing', message);
    this.name = 'RoleClaimError';
  }
}

type Level = 'membership' | 'institution' | 'system';

interface ParsedRole {
  level: Level;
  role: string;
  subRole?: string;
}

const LIS_V2 = /^http:\/\/purl\.imsglobal\.org\/vocab\/(?:lis\/v2|lti)\/(membership|institution\/person|system\/person)(?:\/([A-Za-z]+))?#([A-Za-z]+)$/;
const URN = /^urn:lti:(role|instrole|sysrole):ims\/lis\/([A-Za-z]+)(?:\/([A-Za-z]+))?$/;
const SHORT = /^[A-Za-z]+$/;

const URN_LEVEL: Record<string, Level> = { role: 'membership', instrole: 'institution', sysrole: 'system' };

function capitalize(word: string): string {
  const lower = word.toLowerCase();
  const known: Record<string, string> = {
    contentdeveloper: 'ContentDeveloper',
    teachingassistant: 'TeachingAssistant',
    testuser: 'TestUser',
    sysadmin: 'SysAdmin',
    systemadministrator: 'SystemAdministrator',
  };
  return known[lower] ?? lower.charAt(0).toUpperCase() + lower.slice(1);
}

/** Full LIS v2 URIs, LTI 1.1 URNs and the deprecated short names, all in one shape. */
export function parseRole(value: string): ParsedRole | null {
  const trimmed = value.trim();
  const full = LIS_V2.exec(trimmed);
  if (full) {
    const level: Level = full[1] === 'membership' ? 'membership' : full[1] === 'institution/person' ? 'institution' : 'system';
    return full[2] ? { level, role: capitalize(full[2]), subRole: capitalize(full[3]) } : { level, role: capitalize(full[3]) };
  }
  const urn = URN.exec(trimmed);
  if (urn) {
    const level = URN_LEVEL[urn[1]];
    return urn[3] ? { level, role: capitalize(urn[2]), subRole: capitalize(urn[3]) } : { level, role: capitalize(urn[2]) };
  }
  if (SHORT.test(trimmed)) return { level: 'membership', role: capitalize(trimmed) };
  return null;
}

const ADMIN_SUBROLES = new Set(['Administrator', 'SystemAdministrator']);

function isAdministratorRole(r: ParsedRole): boolean {
  if (r.level === 'membership') return r.role === 'Administrator' && (r.subRole === undefined || ADMIN_SUBROLES.has(r.subRole));
  return r.role === 'Administrator' || r.role === 'SysAdmin';
}

function isTestUserRole(r: ParsedRole): boolean {
  return r.role === 'TestUser' && (r.level === 'system' || r.subRole === undefined);
}

/** Context role → Fieldbook role; the deprecated short "TeachingAssistant" is an Instructor sub-role. */
function membershipRole(r: ParsedRole): FieldbookRole | null {
  if (r.level !== 'membership') return null;
  switch (r.role) {
    case 'Instructor':
    case 'TeachingAssistant':
      return 'faculty';
    case 'ContentDeveloper':
      return 'designer';
    case 'Mentor':
      return 'mentor';
    case 'Learner':
      return 'candidate';
    default:
      return null;
  }
}

/** Institution role → Fieldbook role, consulted only when the launch has no membership role. */
function institutionFallbackRole(r: ParsedRole): FieldbookRole | null {
  if (r.level !== 'institution') return null;
  switch (r.role) {
    case 'Instructor':
      return 'faculty';
    case 'Learner':
    case 'Student':
      return 'candidate';
    default:
      return null;
  }
}

/** Custom parameter values that Canvas could not substitute arrive as the literal `$Variable`. */
function customString(custom: Record<string, unknown> | undefined, key: string): string | undefined {
  const value = custom?.[key];
  if (typeof value === 'boolean' || typeof value === 'number') return String(value);
  if (typeof value !== 'string') return undefined;
  const trimmed = value.trim();
  if (trimmed.startsWith('$')) return undefined;
  return trimmed;
}

function isCoordinatorPlacement(custom: Record<string, unknown> | undefined): boolean {
  return customString(custom, 'fieldbook_role')?.toLowerCase() === 'coordinator' || customString(custom, 'coordinator_view')?.toLowerCase() === 'true';
}

const OBSERVEE_KEYS = ['observees', 'com_instructure_user_observees', '$com.instructure.User.observees'];
const MAX_SUB_LENGTH = 255;

function cleanSubs(values: unknown[]): string[] {
  const subs = values
    .filter((v): v is string => typeof v === 'string')
    .map((v) => v.trim())
    .filter((v) => v.length > 0 && v.length <= MAX_SUB_LENGTH && !v.startsWith('$'));
  return [...new Set(subs)];
}

/** Custom observees (LTI 1.3 subs) win over role_scope_mentor, which older Canvas filled with LTI 1.1 ids. */
function menteesOf(custom: Record<string, unknown> | undefined, roleScopeMentor: unknown): string[] {
  for (const key of OBSERVEE_KEYS) {
    const value = customString(custom, key);
    if (value !== undefined) return cleanSubs(value.split(','));
  }
  return Array.isArray(roleScopeMentor) ? cleanSubs(roleScopeMentor) : [];
}

/**
 * Maps an LTI launch's roles claim (+ custom parameters and role_scope_mentor) to Fieldbook roles.
 * Throws RoleClaimError when the roles claim is missing or not an array.
 */
export function mapRoles(input: RoleMappingInput): RoleMapping {
  if (!Array.isArray(input.roles)) throw new RoleClaimError();
  const raw = input.roles.filter((r): r is string => typeof r === 'string');
  const parsed = raw.map(parseRole).filter((r): r is ParsedRole => r !== null);

  const isAdministrator = parsed.some(isAdministratorRole);
  const isTestUser = parsed.some(isTestUserRole);
  const held = new Set<FieldbookRole>();
  const hasMembershipRole = parsed.some((r) => r.level === 'membership');
  for (const r of parsed) {
    const mapped = hasMembershipRole ? membershipRole(r) : institutionFallbackRole(r);
    if (mapped) held.add(mapped);
  }
  const isInstructor = parsed.some((r) => r.level === 'membership' && (r.role === 'Instructor' || r.role === 'TeachingAssistant'));
  if (isAdministrator || (isInstructor && isCoordinatorPlacement(input.custom))) held.add('coordinator');
  if (held.size === 0) held.add('candidate');

  const roles = ROLE_PRECEDENCE.filter((r) => held.has(r));
  return {
    primary: roles[0],
    roles,
    isTestUser,
    isAdministrator,
    menteeSubs: held.has('mentor') ? menteesOf(input.custom, input.roleScopeMentor) : [],
    raw,
  };
}
