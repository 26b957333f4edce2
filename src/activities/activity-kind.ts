/**
 * What every activity kind (practicum log, mentorship check-ins, portfolio, ...) gives the LTI
 * layer. The LTI routes know kinds only through this interface and the registry (registry.ts):
 * adding a kind is a feature folder exporting one ActivityKind plus one line in the registry.
 */
import type { Response, Router } from 'express';
import type { ExternalSession } from '../access';
import type { Caller } from '../lti/caller';
import type { LtiIdToken } from '../lti/ltijs';
import type { AppConfig } from '../platform/config';
import type { Logger } from '../platform/logger';
import type { Mailer } from '../platform/mailer';
import type { FieldErrors } from '../platform/validate';
import type { Job } from '../jobs/scheduler';
import type { Activity } from './activity.model';

export interface KindDeps {
  config: AppConfig;
  logger: Logger;
  mailer: Mailer;
}

/** A request that passed the activity pipeline: an LTI session, its caller and their activity. */
export interface ActivityRequest {
  caller: Caller;
  token: LtiIdToken;
  ltik: string;
  activity: Activity;
}

/** One section of an activity's page, as the shell's navigation links it (`#id` on the page). */
export interface ShellSection {
  id: string;
  label: string;
}

/** Who decides the grade: computed by the kind, or sent by faculty by hand — never both. */
export type GradeAuthority = 'computed' | 'faculty';

/** One thing that waits for the caller, for cross-activity views (course home, later the faculty queue). */
export interface AwaitingSummary {
  count: number;
  /** e.g. "entries awaiting your review". */
  label: string;
}

/**
 * Where one candidate stands in one activity, for cross-activity views (the course home's
 * "3 of 12 candidates complete", a candidate's own progress bar). Plain words for people.
 */
export interface CandidateProgress {
  /** A word or two: "Not started", "In progress", "Complete". */
  label: string;
  /** 0–100: how much of what the activity asks is done (100 only when complete). */
  percent: number;
  /** Everything the activity asks is done. */
  isComplete: boolean;
  /** The detail in one sentence, e.g. "42 of 120 hours counted; 3 of 5 requirements met." */
  summary: string;
}

/**
 * Whom an emailed (external) mentor covers now: per course, the candidates whose CURRENT course
 * mentor has the session's email on the session's platform (src/courses/course-mentors.service.ts,
 * mentoredBy). Read again on every request, never taken from the request.
 */
export interface ExternalReach {
  session: ExternalSession;
  courses: { iss: string; clientId: string; contextId: string | null; title: string; candidates: { sub: string; name: string }[] }[];
}

/** A kind's part of the emailed mentor's home page (/access/home), rendered in registry order. */
export interface ExternalHomePart {
  /** What awaits the mentor in this part (named in a summary line when several kinds have parts). */
  awaiting: AwaitingSummary;
  /** The part's sections of the page, in order; each id is an element the partial renders (unique across kinds). */
  sections: ShellSection[];
  /** What the part covers, for the page header ("Mentoring …", courses, activities). */
  covers: { candidateNames: string[]; courseTitles: string[]; activityTitles: string[] };
  partial: string;
  model: Record<string, unknown>;
}

/** The page a kind's external action answers with: the shared mentor home, the acting part keeping what was typed. */
export interface ExternalHomeRender {
  reach: ExternalReach;
  flash?: { tone: 'success' | 'danger' | 'warning'; text: string } | null;
  /** Items of a batch that could not be done, in plain words. */
  failures?: string[];
  /** The acting kind's own state for its part (typed comment, ticked rows, field errors). */
  kept?: { type: string; state: unknown };
}

/** Built from every registered kind (src/activities/external-home.ts) and handed to the kinds' external routes. */
export interface ExternalHome {
  render(res: Response, page: ExternalHomeRender, status?: number): Promise<void>;
}

export interface ExternalKindDeps extends KindDeps {
  home: ExternalHome;
}

/**
 * Hours another activity of the same course offers to this one (a signed-off mentor check-in's
 * length offered to the practicum log). `sourceKey` names the source record: offered once.
 */
export interface HoursOffer {
  candidateSub: string;
  candidateName: string;
  date: string;
  minutes: number;
  description: string;
  mentor: { name: string; email: string | null };
  sourceKey: string;
}

export interface ActivityKind {
  /** Stored in Activity.type and sent as the placement's custom activity_type. */
  type: string;
  label: string;
  /** One sentence for faculty choosing a kind in the deep-linking picker. */
  description: string;
  settings: {
    /** Handlebars partial rendered in the picker, or null when the kind has no settings. */
    partial: string | null;
    /** The partial's context, with what faculty typed (or the defaults) selected. */
    present(values: Record<string, unknown>): Record<string, unknown>;
    /** Validates the picker form into the settings stored on the activity. */
    parse(body: Record<string, unknown>): { ok: true; value: unknown } | { ok: false; errors: FieldErrors };
    /** Plain-words summary of stored settings (shown before a course copy is set up). */
    describe(settings: unknown): { label: string; value: string }[];
  };
  gradeAuthority(activity: Activity): GradeAuthority;
  /** The section a launch of this activity shows, per the caller's role (partial + its context). */
  launchPage(request: ActivityRequest): Promise<{ partial: string; model: Record<string, unknown> }>;
  /**
   * The kind's own sections of the launch page for this caller, in page order (the shell adds
   * "Grades" and "Settings" for faculty). Each id must be the id of an element the kind's
   * partial renders. Without it the shell shows the header and no section links.
   */
  sections?(request: Pick<ActivityRequest, 'caller' | 'activity'>): ShellSection[];
  /** Routes under /lti (every request carries an LTI session; use activityRoute). */
  routes?(deps: KindDeps): Router;
  /**
   * Routes under /access for people acting from an emailed link (no LMS account). The shared home
   * page (GET /access/home) is not theirs: they answer actions with `deps.home.render`.
   */
  externalRoutes?(deps: ExternalKindDeps): Router;
  /** Jobs for the shared scheduler (src/jobs/scheduler.ts): reconciliation, reminders, digests. */
  jobs?(deps: KindDeps): Job[];
  /** Brings records written by earlier versions up to date; idempotent, run at start. Returns how many changed. */
  upgrade?(): Promise<number>;
  /** What awaits this caller in the activity (null: nothing to show for their role). */
  awaiting?(request: Omit<ActivityRequest, 'token' | 'ltik'>): Promise<AwaitingSummary | null>;
  /**
   * Where each of these candidates stands in the activity (the course home's per-activity line and
   * a candidate's own bar). The caller's right to see them is decided by the view that asks; every
   * candidate asked for is in the answer (one who has done nothing: "Not started", 0).
   */
  progress?(activity: Activity, candidateSubs: readonly string[]): Promise<Map<string, CandidateProgress>>;
  /**
   * The kind's part of the emailed mentor's home page: what awaits them in the kind's activities of
   * their reach (null: nothing of this kind there). `kept` is the state the kind's own action passed
   * to `home.render` (undefined on a plain visit).
   */
  externalAwaiting?(reach: ExternalReach, kept?: unknown): Promise<ExternalHomePart | null>;
  /** Takes hours offered by another activity of the course, as the candidate's draft to review ('exists': offered before). */
  acceptHours?(activity: Activity, offer: HoursOffer): Promise<'created' | 'exists'>;
}
