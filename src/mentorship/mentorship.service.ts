/**
 * Mentorship check-in use cases. No req/res: routes pass the activity, the actor and validated
 * input. Each change is one compare-and-set on (_id, version) under a version claim (single
 * winner on the embedded database too), then its audit record, then the candidate's grade
 * recomputed from all their check-ins (mentorship-grade.ts). Every step is safe to repeat;
 * transient database errors are retried inside the use case.
 */
import { randomBytes } from 'node:crypto';
import { Types } from 'mongoose';
import type { Activity } from '../activities/activity.model';
import { underClaim } from '../platform/database/version-claim';
import { conflict, isDuplicateKeyError, notFound } from '../platform/errors';
import { withTransientRetry } from '../platform/transient';
import type { FieldErrors } from '../platform/validate';
import { CheckInKeyModel, CheckInModel, type ActionItem, type CheckIn, type CheckInStatus } from './checkin.model';
import { MentorshipAuditModel } from './checkin-audit.model';
import { openActionItems } from './compliance';
import { settleMentorshipGrade } from './mentorship-grade';
import { offerHoursQuietly } from './practicum-hours';
import { MentorshipGoalModel, type MentorshipGoal } from './mentorship-goal.model';
import { authorizeCheckIn, type MentorshipActor, type MentorshipRole } from './mentorship.policy';
import { actionItemsOf, checkInFormErrors, pulseOf, type CheckInForm, type GoalForm } from './mentorship.schemas';
import { readMentorshipSettings } from './mentorship-settings';

export interface MentorshipContext {
  activity: Activity;
  actor: MentorshipActor;
  role: MentorshipRole;
  /** YYYY-MM-DD in the program's time zone. */
  today: string;
}

export type FailureReason = 'not-found' | 'forbidden' | 'wrong-status' | 'incomplete' | 'stale';
export interface ReviewResult {
  done: string[];
  failed: { id: string; reason: FailureReason; message: string }[];
  /** Candidates whose grade was queued for the gradebook. */
  graded: string[];
}

function actorRecord(ctx: MentorshipContext) {
  const a = ctx.actor;
  return a.kind === 'lti' ? { kind: 'lti' as const, sub: a.caller.sub, email: a.caller.email || null, name: a.caller.name, role: ctx.role } : { kind: 'external' as const, sub: null, email: a.email, name: a.name, role: ctx.role };
}
const personOf = (ctx: MentorshipContext) => {
  const { kind, sub, email, name } = actorRecord(ctx);
  return { kind, sub, email, name };
};

async function audit(ctx: MentorshipContext, record: { _id: unknown; candidateSub: string; version: number }, recordType: 'check-in' | 'goal', action: string, comment = '') {
  try {
    await withTransientRetry(() => MentorshipAuditModel.create({ recordId: String(record._id), recordType, activityId: ctx.activity._id, candidateSub: record.candidateSub, version: record.version, action, actor: actorRecord(ctx), comment, at: new Date() }));
  } catch (err) {
    // Written already by an earlier attempt of this same change.
    if (!isDuplicateKeyError(err)) throw err;
  }
}

function candidateOf(ctx: MentorshipContext) {
  if (ctx.actor.kind !== 'lti' || ctx.role !== 'candidate') throw notFound('mentorship_not_candidate', 'Only candidates keep check-ins.');
  return ctx.actor.caller;
}

/** The candidate's check-ins in this activity, oldest meeting first. */
export function candidateCheckIns(activity: Pick<Activity, '_id'>, candidateSub: string): Promise<CheckIn[]> {
  return withTransientRetry(() => CheckInModel.find({ activityId: activity._id, candidateSub }).sort({ date: 1, createdAt: 1 }).limit(500).lean<CheckIn[]>());
}

export function candidateGoals(activity: Pick<Activity, '_id'>, candidateSub: string): Promise<MentorshipGoal[]> {
  return withTransientRetry(() => MentorshipGoalModel.find({ activityId: activity._id, candidateSub }).sort({ createdAt: 1 }).limit(100).lean<MentorshipGoal[]>());
}

const newItemId = () => randomBytes(5).toString('hex');

/**
 * The action items a save stores: the form's rows (ids kept, new rows numbered), plus — on a new
 * check-in — every item still open in earlier check-ins, carried forward so nothing agreed is
 * forgotten. Items the mentor added are kept even when the candidate's form does not show them.
 */
function itemsToStore(form: CheckInForm, before: CheckIn | null, earlier: CheckIn[]): ActionItem[] {
  const typed = actionItemsOf(form as Record<string, unknown>);
  const kept = new Map((before?.actionItems ?? []).map((i) => [i.id, i]));
  const items: ActionItem[] = typed.map((t) => ({ id: t.id && kept.has(t.id) ? t.id : newItemId(), text: t.text, owner: t.owner, due: t.due, isDone: t.isDone, carriedFrom: t.carriedFrom, addedBy: (t.id && kept.get(t.id)?.addedBy) || 'candidate' }));
  const shown = new Set(typed.map((t) => t.id).filter(Boolean));
  for (const mentorItem of before?.actionItems ?? []) if (mentorItem.addedBy === 'mentor' && !shown.has(mentorItem.id)) items.push(mentorItem);
  if (!before) {
    const carried = new Set(items.map((i) => i.carriedFrom).filter(Boolean));
    for (const open of openActionItems(earlier)) {
      const key = `${open.checkInId}:${open.item.id}`;
      if (!carried.has(key)) items.push({ ...open.item, id: newItemId(), carriedFrom: key, isDone: false });
    }
  }
  return items;
}

export type SaveResult = { ok: true; checkIn: CheckIn; isReplay: boolean; graded: boolean } | { ok: false; errors: FieldErrors };

/**
 * Candidate: plans a meeting, records it as held, or keeps it as a draft (a new check-in or an edit
 * of their own). `draftsOnly` (autosave): only drafts are created or changed; anything else is 409.
 */
export async function saveCheckIn(ctx: MentorshipContext, form: CheckInForm, options: { draftsOnly?: boolean } = {}): Promise<SaveResult> {
  const caller = candidateOf(ctx);
  const settings = readMentorshipSettings(ctx.activity.settings);
  const goals = await candidateGoals(ctx.activity, caller.sub);
  const errors = checkInFormErrors(form, settings, ctx.today, { goalIds: goals.map((g) => String(g._id)) });
  if (Object.keys(errors).length) return { ok: false, errors };
  const all = await candidateCheckIns(ctx.activity, caller.sub);
  const status: CheckInStatus = form.intent === 'plan' ? 'planned' : form.intent === 'draft' ? 'draft' : 'held';
  const pulse = pulseOf(form).value;
  const fields = {
    date: form.date ?? '',
    time: form.time ?? '',
    durationMinutes: form.durationMinutes ?? 60,
    mode: form.mode,
    location: form.location,
    template: form.template,
    agenda: form.agenda,
    goalIds: [...new Set(form.goalIds)],
    candidateNotes: form.candidateNotes,
    pulse,
  };

  let checkInId = form.checkInId;
  let knownVersion = form.version;
  if (!checkInId && form.formToken) {
    // The same form posted twice (Back, a double click) edits what its first post made.
    const key = `checkin:${JSON.stringify([String(ctx.activity._id), caller.sub, form.formToken])}`;
    const _id = new Types.ObjectId();
    try {
      await withTransientRetry(() => CheckInKeyModel.create({ _id: key, checkInId: String(_id), createdAt: new Date() }));
    } catch (err) {
      if (!isDuplicateKeyError(err)) throw err;
      const reserved = await withTransientRetry(() => CheckInKeyModel.findOne({ _id: key }).lean());
      const earlier = reserved ? all.find((c) => String(c._id) === reserved.checkInId) : undefined;
      // A draft the form's autosave made is what this post completes; anything further was a replay.
      if (earlier && earlier.status !== 'draft') return { ok: true, checkIn: earlier, isReplay: true, graded: false };
      if (earlier) {
        checkInId = String(earlier._id);
        knownVersion = knownVersion ?? earlier.version;
      } else {
        if (!reserved || !Types.ObjectId.isValid(reserved.checkInId)) throw conflict('mentorship_checkin_saving', 'This check-in is being saved in another window; reload to see it.');
        // The first post was cut off before its insert: insert under the reserved id, so one check-in exists.
        return create(ctx, caller, new Types.ObjectId(reserved.checkInId), status, fields, itemsToStore(form, null, all));
      }
    }
    if (!checkInId) return create(ctx, caller, _id, status, fields, itemsToStore(form, null, all));
  }
  if (!checkInId) return create(ctx, caller, new Types.ObjectId(), status, fields, itemsToStore(form, null, all));

  const before = all.find((c) => String(c._id) === checkInId);
  if (!before) throw notFound('mentorship_checkin_not_found', 'That check-in does not exist or is not yours.');
  authorizeCheckIn(ctx.actor, 'candidate', before);
  if (before.status === 'signed-off') throw conflict('mentorship_checkin_signed_off', 'This check-in is signed off and can no longer be changed.');
  if (options.draftsOnly && before.status !== 'draft') throw conflict('mentorship_checkin_not_draft', 'Only drafts are saved automatically; use “Plan” or “Record as held” to save this check-in.');
  if (status === 'draft' && before.status !== 'draft') return { ok: false, errors: { _form: 'This check-in is already planned or recorded: use “Plan” or “Record as held” to save your changes.' } };
  if (status === 'planned' && before.status !== 'planned' && before.status !== 'draft') return { ok: false, errors: { date: 'This meeting is already recorded as held; it cannot go back to planned.' } };
  const version = knownVersion ?? before.version;
  const items = itemsToStore(form, before, all.filter((c) => String(c._id) !== checkInId));
  const updated = await withTransientRetry(() =>
    underClaim(before._id, version, () =>
      CheckInModel.findOneAndUpdate({ _id: before._id, version, status: { $ne: 'signed-off' } }, { $set: { ...fields, status, actionItems: items, candidateName: caller.name }, $inc: { version: 1 } }, { new: true }).lean<CheckIn>().exec(),
    ),
  );
  if (!updated) throw conflict('mentorship_checkin_changed', 'This check-in changed in another window (or your mentor signed it off); reload to see the latest version.');
  // A draft is the candidate's alone (and autosaved every few seconds): its saves are not audited.
  if (status !== 'draft') await audit(ctx, updated, 'check-in', before.status === status ? 'edited' : status === 'held' ? 'recorded as held' : 'planned');
  if (status === 'held' && !settings.requiresSignOff) await offerHoursQuietly(ctx.activity, updated);
  const graded = await settleMentorshipGrade(ctx.activity, caller.sub, ctx.today);
  return { ok: true, checkIn: updated, isReplay: false, graded };
}

async function create(ctx: MentorshipContext, caller: { sub: string; name: string; iss: string }, _id: Types.ObjectId, status: CheckInStatus, fields: Record<string, unknown>, actionItems: ActionItem[]): Promise<SaveResult> {
  const doc = { _id, activityId: ctx.activity._id, iss: ctx.activity.iss, contextId: ctx.activity.contextId ?? null, candidateSub: caller.sub, candidateName: caller.name, status, version: 1, ...fields, actionItems };
  try {
    await withTransientRetry(() => CheckInModel.create(doc));
  } catch (err) {
    // An earlier attempt of this insert landed before its answer was lost.
    if (!isDuplicateKeyError(err)) throw err;
  }
  const created = await withTransientRetry(() => CheckInModel.findOne({ _id }).lean<CheckIn>());
  if (!created) throw conflict('mentorship_checkin_saving', 'The check-in could not be saved; please try again.');
  if (status !== 'draft') await audit(ctx, created, 'check-in', status === 'held' ? 'recorded as held' : 'planned');
  if (status === 'held' && !readMentorshipSettings(ctx.activity.settings).requiresSignOff) await offerHoursQuietly(ctx.activity, created);
  const graded = status === 'held' ? await settleMentorshipGrade(ctx.activity, caller.sub, ctx.today) : false;
  return { ok: true, checkIn: created, isReplay: false, graded };
}

const REVIEW_FROM: Record<'sign-off' | 'request-changes' | 'return', CheckInStatus[]> = {
  'sign-off': ['held'],
  'request-changes': ['held'],
  return: ['held', 'signed-off'],
};

/**
 * Mentor (sign off / ask for changes) or faculty (return with a comment) on many check-ins; each
 * is its own atomic step, so one stale or not-allowed check-in never blocks the others.
 */
export async function reviewCheckIns(ctx: MentorshipContext, intent: 'sign-off' | 'request-changes' | 'return', refs: { id: string; version: number }[], comment: string): Promise<ReviewResult> {
  const result: ReviewResult = { done: [], failed: [], graded: [] };
  const settings = readMentorshipSettings(ctx.activity.settings);
  const ids = [...new Set(refs.map((r) => r.id).filter((id) => Types.ObjectId.isValid(id)))];
  const loaded = await Promise.all(ids.map((id) => withTransientRetry(() => CheckInModel.findOne({ _id: id }).lean<CheckIn>())));
  const byId = new Map(loaded.filter((c): c is CheckIn => c !== null && String(c.activityId) === String(ctx.activity._id)).map((c) => [String(c._id), c]));
  const touched = new Set<string>();
  for (const ref of refs) {
    const before = byId.get(ref.id);
    if (!before) {
      result.failed.push({ id: ref.id, reason: 'not-found', message: 'That check-in was not found among those you can review.' });
      continue;
    }
    try {
      authorizeCheckIn(ctx.actor, ctx.role, before);
    } catch (err) {
      result.failed.push({ id: ref.id, reason: 'forbidden', message: (err as Error).message });
      continue;
    }
    const label = `The check-in of ${before.date}${before.candidateName ? ` (${before.candidateName})` : ''}`;
    if (!REVIEW_FROM[intent].includes(before.status as CheckInStatus)) {
      result.failed.push({ id: ref.id, reason: 'wrong-status', message: before.status === 'planned' ? `${label} has not been held yet.` : `${label} is already ${before.status === 'signed-off' ? 'signed off' : 'waiting for the candidate’s changes'}.` });
      continue;
    }
    if (intent === 'sign-off' && settings.requiredParts.includes('mentorNotes') && !before.mentorNotes) {
      result.failed.push({ id: ref.id, reason: 'incomplete', message: `${label} needs your notes before you sign it off.` });
      continue;
    }
    const now = new Date();
    const set =
      intent === 'sign-off'
        ? { status: 'signed-off', signOff: { by: personOf(ctx), at: now, comment }, changesRequested: null }
        : { status: 'changes-requested', changesRequested: { by: personOf(ctx), role: ctx.role, at: now, comment }, signOff: null };
    const updated = await withTransientRetry(() =>
      underClaim(before._id, ref.version, () => CheckInModel.findOneAndUpdate({ _id: before._id, version: ref.version, status: { $in: REVIEW_FROM[intent] } }, { $set: set, $inc: { version: 1 } }, { new: true }).lean<CheckIn>().exec()),
    );
    if (!updated) {
      result.failed.push({ id: ref.id, reason: 'stale', message: `${label} changed since the page was loaded; reload and try again.` });
      continue;
    }
    await audit(ctx, updated, 'check-in', intent === 'sign-off' ? 'signed off' : intent === 'return' ? 'returned by faculty' : 'changes asked for', comment);
    if (intent === 'sign-off') await offerHoursQuietly(ctx.activity, updated);
    result.done.push(ref.id);
    touched.add(updated.candidateSub);
  }
  for (const candidateSub of touched) if (await settleMentorshipGrade(ctx.activity, candidateSub, ctx.today)) result.graded.push(candidateSub);
  return result;
}

/** Mentor: their notes and new action items on a mentee's check-in (not once it is signed off). */
export async function saveMentorNotes(ctx: MentorshipContext, ref: { id: string; version: number }, notes: string, newItems: { text: string; owner: 'candidate' | 'mentor'; due: string | null }[]): Promise<CheckIn> {
  const before = Types.ObjectId.isValid(ref.id) ? await withTransientRetry(() => CheckInModel.findOne({ _id: ref.id }).lean<CheckIn>()) : null;
  if (!before || String(before.activityId) !== String(ctx.activity._id)) throw notFound('mentorship_checkin_not_found', 'That check-in was not found among your mentees’.');
  authorizeCheckIn(ctx.actor, 'mentor', before);
  if (before.status === 'signed-off') throw conflict('mentorship_checkin_signed_off', 'This check-in is signed off; notes can no longer be changed.');
  const badDue = newItems.find((i) => i.due && i.due < before.date);
  if (badDue) throw conflict('mentorship_item_due_before_meeting', 'An action item cannot be due before the meeting.');
  const items = [...before.actionItems, ...newItems.map((i) => ({ id: newItemId(), text: i.text, owner: i.owner, due: i.due, isDone: false, carriedFrom: null, addedBy: 'mentor' as const }))];
  const updated = await withTransientRetry(() =>
    underClaim(before._id, ref.version, () => CheckInModel.findOneAndUpdate({ _id: before._id, version: ref.version, status: { $ne: 'signed-off' } }, { $set: { mentorNotes: notes, actionItems: items }, $inc: { version: 1 } }, { new: true }).lean<CheckIn>().exec()),
  );
  if (!updated) throw conflict('mentorship_checkin_changed', 'This check-in changed since the page was loaded; reload and try again.');
  await audit(ctx, updated, 'check-in', 'mentor notes saved');
  return updated;
}

/** Candidate: adds or edits a SMART goal; a progress percent or note adds a dated step to its history. */
export async function saveGoal(ctx: MentorshipContext, form: GoalForm): Promise<MentorshipGoal> {
  const caller = candidateOf(ctx);
  const fields = { title: form.title, specific: form.specific, measurable: form.measurable, achievable: form.achievable, relevant: form.relevant, targetDate: form.targetDate ?? null, standards: [...new Set(form.standards)], status: form.status };
  const step = form.progressPercent !== undefined || form.progressNote ? [{ percent: form.progressPercent ?? null, note: form.progressNote, at: new Date() }] : [];
  if (!form.goalId) {
    const goal = await withTransientRetry(() => MentorshipGoalModel.create({ activityId: ctx.activity._id, iss: ctx.activity.iss, contextId: ctx.activity.contextId ?? null, candidateSub: caller.sub, ...fields, progress: step }));
    const created = goal.toObject() as MentorshipGoal;
    await audit(ctx, created, 'goal', 'goal added');
    return created;
  }
  const before = Types.ObjectId.isValid(form.goalId) ? await withTransientRetry(() => MentorshipGoalModel.findOne({ _id: form.goalId }).lean<MentorshipGoal>()) : null;
  if (!before || String(before.activityId) !== String(ctx.activity._id) || before.candidateSub !== caller.sub) throw notFound('mentorship_goal_not_found', 'That goal does not exist or is not yours.');
  const version = form.version ?? before.version;
  const updated = await withTransientRetry(() =>
    underClaim(before._id, version, () => MentorshipGoalModel.findOneAndUpdate({ _id: before._id, version }, { $set: { ...fields, progress: [...before.progress, ...step] }, $inc: { version: 1 } }, { new: true }).lean<MentorshipGoal>().exec()),
  );
  if (!updated) throw conflict('mentorship_goal_changed', 'This goal changed in another window; reload to see it.');
  await audit(ctx, updated, 'goal', step.length ? 'goal progress updated' : 'goal edited');
  return updated;
}
