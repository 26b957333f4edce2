import type { Request, Response } from 'express';
import { forbidden, unauthorized } from '../platform/errors';
import type { LtiIdToken } from './ltijs';
import { mapRoles, type FieldbookRole } from './roles';

/** Who is calling, from the LTI session ltijs restored for this request. */
export interface Caller {
  iss: string;
  clientId: string;
  deploymentId: string;
  sub: string;
  name: string;
  email: string;
  role: FieldbookRole;
  roles: FieldbookRole[];
  isTestUser: boolean;
  menteeSubs: string[];
  contextId: string | null;
  contextTitle: string;
  resourceLinkId: string | null;
  resourceTitle: string;
  messageType: string;
  custom: Record<string, unknown>;
  platformName: string;
}

export function callerFromToken(token: LtiIdToken): Caller {
  const ctx = token.platformContext;
  const custom = (ctx.custom && typeof ctx.custom === 'object' ? ctx.custom : {}) as Record<string, unknown>;
  const mapped = mapRoles({ roles: ctx.roles, custom, context: ctx.context });
  const info = token.userInfo ?? {};
  const name = info.name || [info.given_name, info.family_name].filter(Boolean).join(' ');
  return {
    iss: token.iss,
    clientId: token.clientId,
    deploymentId: token.deploymentId,
    sub: token.user,
    name: name || '',
    email: info.email ?? '',
    role: mapped.primary,
    roles: mapped.roles,
    isTestUser: mapped.isTestUser,
    menteeSubs: mapped.menteeSubs,
    contextId: ctx.context?.id ?? null,
    contextTitle: ctx.context?.title || ctx.context?.label || '',
    resourceLinkId: ctx.resource?.id ?? null,
    resourceTitle: ctx.resource?.title ?? '',
    messageType: ctx.messageType,
    custom,
    platformName: token.platformInfo?.name ?? '',
  };
}

/** The caller of a request that passed ltijs's session check (res.locals.token). */
export function requireCaller(res: Response): Caller {
  const token = res.locals.token as LtiIdToken | undefined;
  if (!token) throw unauthorized('no_lti_session', 'Your session has ended. Please open Fieldbook again from your course.');
  return callerFromToken(token);
}

/** Coarse role gate; per-record rules live in each feature's policy. */
export function requireRole(caller: Caller, allowed: FieldbookRole[]): void {
  if (!allowed.some((r) => caller.roles.includes(r))) {
    throw forbidden('role_not_allowed', 'Your role in this course does not allow this action.');
  }
}

export function ltikOf(req: Request, res: Response): string {
  return (res.locals.ltik as string | undefined) ?? (typeof req.query.ltik === 'string' ? req.query.ltik : '');
}
