/**
 * The shell every activity page shares: a compact header (activity, course, who is signed in and
 * their role in plain words) and role-aware section links. The kind names its own sections
 * (ActivityKind.sections); the shell adds the sections it renders itself for faculty.
 */
import type { Caller } from '../lti/caller';
import type { ActivityKind, ShellSection } from './activity-kind';
import type { Activity } from './activity.model';

export const ROLE_LABELS: Record<string, string> = {
  candidate: 'Candidate',
  faculty: 'Faculty',
  mentor: 'Mentor',
  coordinator: 'Program coordinator',
  designer: 'Course designer',
};

/** Sections the launch page renders for faculty whatever the kind (views/lti/launch.hbs). */
export const FACULTY_SHELL_SECTIONS: ShellSection[] = [
  { id: 'grades', label: 'Grades' },
  { id: 'settings', label: 'Settings' },
];

export interface ShellInput {
  caller: Caller;
  activity: Activity | null;
  kind?: ActivityKind;
  /**
   * Where the sections are: omitted on the page that shows them (links are `#id`), otherwise
   * that page's URL (links go back to it, e.g. from a per-candidate page).
   */
  sectionsHref?: string;
  /** The section (or page) the person is on, marked aria-current. */
  current?: string;
}

export function presentShell({ caller, activity, kind, sectionsHref, current }: ShellInput) {
  const isFaculty = caller.roles.includes('faculty');
  const own = activity && kind?.sections ? kind.sections({ caller, activity }) : [];
  const sections = [...own, ...(isFaculty && activity ? FACULTY_SHELL_SECTIONS : [])];
  return {
    title: activity?.title || caller.resourceTitle || 'Fieldbook',
    course: caller.contextTitle || null,
    person: { name: caller.name || 'Anonymous user' },
    role: ROLE_LABELS[caller.role] ?? caller.role,
    isTestUser: caller.isTestUser,
    kindLine: activity ? `${kind?.label ?? activity.type} · ${activity.pointsPossible} points` : null,
    nav: sections.map((s) => ({ ...s, href: `${sectionsHref ?? ''}#${s.id}`, isCurrent: s.id === current })),
  };
}
