/**
 * The page an activity launch shows, on the shared shell (header + section links): the kind's own
 * section, and for faculty the grading and settings sections. Every page of a kind that answers an
 * action renders through here too, so faculty never lose the grade-sync section after acting.
 */
import type { Response } from 'express';
import type { ActivityRequest } from '../activities/activity-kind';
import { findKind } from '../activities/registry';
import { formatInstant, presentGradeSyncRow } from '../grading/grade-sync.presenter';
import { listGradeRepairs } from '../grading/grade-repair';
import { listGradeSync } from '../grading/outbox.service';
import { describePlatformError, fetchRoster } from '../grading/score.service';
import type { NrpsMember } from './ltijs';
import { presentLaunch, presentRoster } from './launch.presenter';
import { typedText } from '../platform/validate';
import { presentShell } from '../activities/shell.presenter';

export interface ActivityPageOptions {
  /** The kind's section already built (a kind's route answering an action); else kind.launchPage. */
  section?: { partial: string; model: Record<string, unknown> };
  status?: number;
}

export async function renderActivityPage(res: Response, request: ActivityRequest, extra: Record<string, unknown> = {}, knownMembers?: NrpsMember[], options: ActivityPageOptions = {}): Promise<void> {
  const { caller, activity, token } = request;
  const kind = findKind(activity.type);
  const isFaculty = caller.roles.includes('faculty');
  const isManualGrading = isFaculty && kind?.gradeAuthority(activity) === 'faculty';
  let roster = null;
  let rosterError: string | null = null;
  if (isManualGrading) {
    try {
      // A grading request has just read the roster; do not page through it twice.
      roster = presentRoster(knownMembers ?? (await fetchRoster(token)));
    } catch (err) {
      rosterError = describePlatformError(err).reason;
    }
  }
  let gradeSync = null;
  if (isFaculty) {
    const [rows, repairs] = await Promise.all([listGradeSync(String(activity._id)), listGradeRepairs(String(activity._id))]);
    gradeSync = rows.map((row) => {
      const repair = repairs.get(row.userSub);
      return { ...presentGradeSyncRow(row), repair: repair ? { what: repair.what, at: formatInstant(repair.at), count: repair.count } : null };
    });
  }
  const section = options.section ?? (kind ? await kind.launchPage(request) : null);
  if (options.status) res.status(options.status);
  res.render('lti/launch', {
    ...presentLaunch(request.caller, activity, kind?.label),
    shell: presentShell({ caller, activity, kind }),
    settingsSummary: isFaculty && kind ? kind.settings.describe(activity.settings) : null,
    aid: String(activity._id),
    ltik: request.ltik,
    isManualGrading,
    roster,
    rosterError,
    gradeSync,
    section,
    ...extra,
    ...(extra.scoreValues ? { scoreValues: typedValues(extra.scoreValues, ['userId', 'scoreGiven', 'comment']) } : {}),
  });
}

/** The grading form as typed — on a 400 that is the request body as posted, so text only. */
function typedValues(values: unknown, fields: string[]): Record<string, string> {
  const source = (values && typeof values === 'object' ? values : {}) as Record<string, unknown>;
  return Object.fromEntries(fields.map((f) => [f, typedText(source[f])]));
}
