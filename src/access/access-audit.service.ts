import { AccessAuditModel, type AccessAction } from './access-audit.model';

export type AccessActor =
  | { kind: 'external'; email: string; name: string }
  | { kind: 'lti'; sub: string; name: string }
  | { kind: 'anonymous'; name?: string };

export interface AccessEvent {
  actor: AccessActor;
  action: AccessAction;
  target: { linkJti?: string | null; purpose?: string | null; email?: string | null; candidateSub?: string | null; activityId?: string | null };
  reason?: string | null;
  ip?: string | null;
  at?: Date;
}

/** Appends one audit record. Awaited by callers: an access decision without its record is not acceptable. */
export async function recordAccessEvent(event: AccessEvent): Promise<void> {
  const actor = event.actor;
  await AccessAuditModel.create({
    actor: {
      kind: actor.kind,
      email: actor.kind === 'external' ? actor.email : null,
      sub: actor.kind === 'lti' ? actor.sub : null,
      name: actor.name ?? '',
    },
    action: event.action,
    target: {
      linkJti: event.target.linkJti ?? null,
      purpose: event.target.purpose ?? null,
      email: event.target.email ?? null,
      candidateSub: event.target.candidateSub ?? null,
      activityId: event.target.activityId ?? null,
    },
    reason: event.reason ?? null,
    ip: event.ip ?? null,
    at: event.at ?? new Date(),
  });
}

export interface AccessAuditView {
  actor: { kind: string; email: string | null; sub: string | null; name: string };
  action: string;
  reason: string | null;
  at: Date;
}

/** A link's history, oldest first (for faculty screens and tests). */
export async function listAccessEvents(linkJti: string): Promise<AccessAuditView[]> {
  const docs = await AccessAuditModel.find({ 'target.linkJti': linkJti }).sort({ at: 1, _id: 1 }).lean();
  return docs.map((d) => ({ actor: { kind: d.actor.kind, email: d.actor.email ?? null, sub: d.actor.sub ?? null, name: d.actor.name ?? '' }, action: d.action, reason: d.reason ?? null, at: d.at }));
}
