import type { NrpsMember } from './ltijs';
import type { Caller } from './caller';
import { ROLE_LABELS } from '../activities/shell.presenter';

/** Only whitelisted fields reach the launch template. */
export function presentLaunch(caller: Caller, activity: { title: string; type: string; pointsPossible: number } | null, kindLabel?: string) {
  return {
    title: activity?.title || caller.resourceTitle || 'Fieldbook',
    person: { name: caller.name || 'Anonymous user', email: caller.email },
    role: ROLE_LABELS[caller.role] ?? caller.role,
    roleKey: caller.role,
    allRoles: caller.roles.map((r) => ROLE_LABELS[r] ?? r).join(', '),
    isTestUser: caller.isTestUser,
    course: caller.contextTitle || null,
    placement: caller.resourceTitle || null,
    platformName: caller.platformName || caller.iss,
    activity: activity
      ? { title: activity.title, typeLabel: kindLabel ?? activity.type, pointsPossible: activity.pointsPossible }
      : null,
    isFaculty: caller.roles.includes('faculty'),
  };
}

const LEARNER = /(^|#|\/)Learner$/;
export const TEST_USER_ROLE = /TestUser$/;

export function presentRoster(members: NrpsMember[]) {
  return members
    .filter((m) => m.roles.some((r) => LEARNER.test(r)) && (m.status ?? 'Active') === 'Active')
    .map((m) => ({ userId: m.user_id, name: m.name || [m.given_name, m.family_name].filter(Boolean).join(' ') || m.user_id, isTestUser: m.roles.some((r) => TEST_USER_ROLE.test(r)) }));
}
