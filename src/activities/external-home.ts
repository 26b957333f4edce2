/**
 * The home page of a mentor who acts from an emailed link (GET /access/home): the session's reach
 * (every candidate whose current course mentor has the session's email) and, from every registered
 * kind, its part of the page (`externalAwaiting`) — so a second kind's work appears beside the
 * practicum log's. Mounted inside the /access router (its no-store headers and refusal pages apply);
 * a session with no part anywhere falls through to that router's placeholder page.
 */
import { Router, type Response } from 'express';
import { requireExternalSession, type ExternalSession } from '../access';
import { presentExternalShell, presentHome } from '../access/access.presenter';
import { mentoredBy } from '../courses/course-mentors.service';
import { wrap } from '../platform/async-handler';
import type { ActivityKind, ExternalHome, ExternalHomePart, ExternalHomeRender, ExternalReach } from './activity-kind';
import { ActivityModel, type Activity } from './activity.model';
import type { ExternalActor } from './activity.policy';

/** The courses and candidates this session's mentor covers now (none for a session of another purpose). */
export async function externalReachOf(session: ExternalSession): Promise<ExternalReach> {
  if (session.purpose !== 'mentor-verify') return { session, courses: [] };
  const courses = new Map<string, ExternalReach['courses'][number]>();
  for (const a of await mentoredBy(session.scope.iss, session.email)) {
    const key = JSON.stringify([a.clientId, a.contextId]);
    const course = courses.get(key) ?? { iss: a.iss, clientId: a.clientId, contextId: a.contextId, title: a.courseTitle, candidates: [] };
    course.candidates.push({ sub: a.candidateSub, name: a.candidateName || 'Your candidate' });
    courses.set(key, course);
  }
  return { session, courses: [...courses.values()] };
}

/** One activity of a kind in the mentor's reach, with the candidates they may work on there. */
export interface KindReach {
  activity: Activity;
  courseTitle: string;
  actor: ExternalActor;
  candidateNames: Map<string, string>;
}

/** The activities of one kind in the reach's courses, each with the reach's candidates of its course. */
export async function kindReachOf(reach: ExternalReach, type: string): Promise<KindReach[]> {
  const { session } = reach;
  const perCourse = await Promise.all(
    reach.courses.map(async (course) => {
      const activities = (await ActivityModel.find({ iss: session.scope.iss, clientId: course.clientId, contextId: course.contextId, type }).sort({ createdAt: 1 }).lean()) as Activity[];
      const candidateSubs = course.candidates.map((c) => c.sub);
      return activities.map((activity) => ({
        activity,
        courseTitle: course.title || activity.contextTitle || '',
        actor: { kind: 'external' as const, email: session.email, name: session.name, scope: { activityId: String(activity._id), candidateSubs } },
        candidateNames: new Map(course.candidates.map((c) => [c.sub, c.name])),
      }));
    }),
  );
  return perCourse.flat();
}

async function partsOf(kinds: readonly ActivityKind[], page: ExternalHomeRender): Promise<ExternalHomePart[]> {
  if (page.reach.courses.length === 0) return [];
  const parts = await Promise.all(kinds.map((k) => (k.externalAwaiting ? k.externalAwaiting(page.reach, page.kept?.type === k.type ? page.kept.state : undefined) : null)));
  return parts.filter((p): p is ExternalHomePart => p !== null);
}

function presentExternalHome(page: ExternalHomeRender, parts: ExternalHomePart[]) {
  const { session } = page.reach;
  const shell = presentExternalShell({
    name: session.name,
    candidateNames: parts.flatMap((p) => p.covers.candidateNames),
    courseTitles: parts.flatMap((p) => p.covers.courseTitles),
    activityTitles: parts.flatMap((p) => p.covers.activityTitles),
    nav: parts.flatMap((p) => p.sections),
  });
  return {
    title: shell.title,
    shell,
    name: session.name,
    email: session.email,
    invitedBy: session.invitedBy,
    sessionEndsAt: session.expiresAt,
    flash: page.flash ?? null,
    failures: page.failures ?? [],
    // One part says what waits in its own words; several get a line naming each first.
    awaiting: parts.length > 1 ? parts.filter((p) => p.awaiting.count > 0).map((p) => p.awaiting) : [],
    parts: parts.map((p) => ({ partial: p.partial, model: p.model })),
  };
}

/** The shared home: a router answering GET /home, and the renderer the kinds' external actions answer with. */
export function createExternalHome(kinds: readonly ActivityKind[]): { router: Router; home: ExternalHome } {
  const home: ExternalHome = {
    async render(res: Response, page: ExternalHomeRender, status = 200) {
      const parts = await partsOf(kinds, page);
      if (parts.length === 0) return void res.status(status).render('access/home', presentHome(page.reach.session));
      res.status(status).render('access/mentor-home', presentExternalHome(page, parts));
    },
  };
  const router = Router();
  router.get(
    '/home',
    wrap(async (req, res, next) => {
      const reach = await externalReachOf(await requireExternalSession(req));
      const parts = await partsOf(kinds, { reach });
      if (parts.length === 0) return next();
      res.render('access/mentor-home', presentExternalHome({ reach }, parts));
    }),
  );
  return { router, home };
}
