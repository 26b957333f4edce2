import { Router } from 'express';
import { Types } from 'mongoose';
import { z } from 'zod';
import { courseParams, issuesText } from './ags.schemas';
import { getSandboxCourse } from './course.service';
import { NRPS_SCOPE } from './id-token.service';
import { linkHeader, pagingSchema } from './paging.util';
import { normalizeRole } from './roles.service';
import { canvasError } from './sandbox.errors';
import { sandboxIdentity } from './sandbox.identity';
import { SandboxPerson, type SandboxPersonDoc } from './sandbox.models';
import type { SandboxDeps } from './sandbox.types';
import { serviceModeGate } from './service-mode.middleware';
import { requireScope } from './token.service';

const MEMBERSHIP_MEDIA = 'application/vnd.ims.lti-nrps.v2.membershipcontainer+json';
/** Canvas pages NRPS at 10 members by default and never more than 50. */
const membershipQuery = z.object({ role: z.string().max(300).optional(), rlid: z.string().max(255).optional(), ...pagingSchema(10, 50) });

function presentMember(p: SandboxPersonDoc) {
  return {
    status: 'Active',
    user_id: p.sub,
    lis_person_sourcedid: p.sisId,
    name: p.name || undefined,
    given_name: p.given || undefined,
    family_name: p.family || undefined,
    email: p.email || undefined,
    roles: p.roles,
  };
}

/** Names and Role Provisioning Services 2.0: the course roster. */
export function createNrpsRouter({ config }: SandboxDeps): Router {
  const router = Router();
  const issuer = sandboxIdentity(config).issuer;

  router.get('/nrps/:courseId/memberships', serviceModeGate, async (req, res, next) => {
    try {
      await requireScope(req, [NRPS_SCOPE]);
      const ids = courseParams.safeParse(req.params);
      if (!ids.success) throw canvasError(404, 'not_found', 'Course not found');
      const course = await getSandboxCourse(ids.data.courseId).catch(() => {
        throw canvasError(404, 'not_found', 'Course not found');
      });
      const q = membershipQuery.safeParse(req.query);
      if (!q.success) throw canvasError(400, 'bad_request', issuesText(q.error));
      const { role, rlid, page, limit } = q.data;
      const filter: Record<string, unknown> = { courseId: new Types.ObjectId(course.id) };
      if (role) filter.roles = normalizeRole(role);
      const people = await SandboxPerson.find(filter)
        .sort({ _id: 1 })
        .skip((page - 1) * limit)
        .limit(limit + 1)
        .lean();
      const url = `${issuer}/nrps/${course.id}/memberships`;
      res.set('Link', linkHeader(url, { role, rlid }, page, limit, people.length > limit));
      const body = {
        id: `${url}?${new URLSearchParams({ ...(role ? { role } : {}), limit: String(limit), page: String(page) }).toString()}`,
        context: { id: course.id, label: course.label, title: course.title },
        members: people.slice(0, limit).map(presentMember),
      };
      res.type(MEMBERSHIP_MEDIA).send(JSON.stringify(body));
    } catch (err) {
      next(err);
    }
  });

  return router;
}
