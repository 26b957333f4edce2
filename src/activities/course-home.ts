/**
 * The course home a launch without an activity shows (course navigation): every activity of the
 * caller's course with what awaits them there and where candidates stand — built from each kind's
 * `awaiting` and `progress` hooks, so a new kind appears here without changes to this file.
 */
import type { Caller } from '../lti/caller';
import { listCourseMembers } from '../courses/course-membership.service';
import type { ActivityKind, AwaitingSummary, CandidateProgress } from './activity-kind';
import type { Activity } from './activity.model';
import { listCourseActivities } from './activity.service';
import { findKind } from './registry';

/**
 * Whose progress the caller sees on the course home: faculty and coordinators every candidate of the
 * course roster (launched or not, test users left out), an LMS mentor the mentees their launch names,
 * a candidate themself. The most capable role wins, as on the activity pages.
 */
async function progressAudience(caller: Caller): Promise<{ who: 'cohort' | 'mentees' | 'self'; subs: string[] } | null> {
  if (!caller.contextId) return null;
  if (caller.roles.includes('faculty') || caller.roles.includes('coordinator')) {
    const members = await listCourseMembers(caller, 'candidate');
    return { who: 'cohort', subs: members.filter((m) => !m.isTestUser).map((m) => m.sub) };
  }
  if (caller.roles.includes('mentor')) return { who: 'mentees', subs: caller.menteeSubs };
  if (caller.roles.includes('candidate')) return { who: 'self', subs: [caller.sub] };
  return null;
}

export interface CourseHomeProgress {
  /** The caller's own progress (a candidate): shown as a bar with its text. */
  own: CandidateProgress | null;
  /** "3 of 12 candidates complete" (faculty, coordinators), "1 of your 2 mentees complete" (an LMS mentor). */
  group: string | null;
}

function presentGroup(who: 'cohort' | 'mentees', progress: Map<string, CandidateProgress>): string | null {
  const total = progress.size;
  if (total === 0) return null;
  const complete = [...progress.values()].filter((p) => p.isComplete).length;
  if (who === 'mentees') return total === 1 ? `Your mentee: ${[...progress.values()][0].label}` : `${complete} of your ${total} mentees complete`;
  return `${complete} of ${total} ${total === 1 ? 'candidate' : 'candidates'} complete`;
}

async function progressOf(kind: ActivityKind | undefined, activity: Activity, audience: Awaited<ReturnType<typeof progressAudience>>): Promise<CourseHomeProgress | null> {
  if (!kind?.progress || !audience || audience.subs.length === 0) return null;
  const progress = await kind.progress(activity, audience.subs);
  if (audience.who === 'self') return { own: progress.get(audience.subs[0]) ?? null, group: null };
  return { own: null, group: presentGroup(audience.who, progress) };
}

export interface CourseHomeItem {
  id: string;
  title: string;
  kindLabel: string;
  isKnownKind: boolean;
  awaiting: AwaitingSummary | null;
  progress: CourseHomeProgress | null;
}

/** The course's activities as the course home lists them for this caller. */
export async function presentCourseHome(caller: Caller): Promise<CourseHomeItem[]> {
  const activities = await listCourseActivities(caller);
  // The roster is read once for every activity, and only when some kind reports progress.
  const audience = activities.some((a) => findKind(a.type)?.progress) ? await progressAudience(caller) : null;
  return Promise.all(
    activities.map(async (activity) => {
      const kind = findKind(activity.type);
      const [awaiting, progress] = await Promise.all([kind?.awaiting ? kind.awaiting({ caller, activity }) : null, progressOf(kind, activity, audience)]);
      return { id: String(activity._id), title: activity.title, kindLabel: kind?.label ?? activity.type, isKnownKind: Boolean(kind), awaiting, progress };
    }),
  );
}
