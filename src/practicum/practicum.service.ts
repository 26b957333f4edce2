/**
 * Practicum-log use cases. No req/res here: routes pass the activity, the actor and validated input.
 * Every status change is one conditional single-document update (status + version in the filter,
 * made single-winner on FerretDB by a version claim: src/platform/database/version-claim.ts), followed by the audit
 * record and settleCandidate, which recomputes the derived progress and grade from the entries
 * (practicum-settle.ts). Each step is safe to repeat; transient database errors are retried.
 */
import { Types } from 'mongoose';
import type { Activity } from '../activities/activity.model';
import { PracticumEntryKeyModel } from './practicum-entry-key.model';
import { findRaw, insertRaw, insertValidated } from '../platform/database/direct';
import { conflict, isDuplicateKeyError, notFound } from '../platform/errors';
import type { FieldErrors } from '../platform/validate';
import { PracticumEntryModel, type EntryStatus, type PracticumEntry } from './practicum-entry.model';
import type { PracticumGradeChange } from './practicum-grade';
import { effectiveRules, readSettings, termOf } from './practicum-settings';
import { authorizeEntry, type PracticumActor } from './practicum.policy';
import { missingForSubmit, type EntryForm } from './practicum.schemas';
import { allowedFrom, type ActorRole, type TransitionAction } from './practicum.transitions';
import { readEntry, writeAudit } from './progress-store';
import { settleCandidate, settleCandidateProgress } from './practicum-settle';
import { withTransientRetry } from '../platform/transient';
import { resolveSite } from './practicum-sites.service';
import type { ProgressItem } from './progress-store';
import { underClaim } from '../platform/database/version-claim';

export interface PracticumContext {
  activity: Activity;
  actor: PracticumActor;
  role: ActorRole;
  /** YYYY-MM-DD in the program's time zone. */
  today: string;
  /** Receives completion-grade changes instead of the grade outbox (unit tests). */
  onGradeChange?: (change: PracticumGradeChange) => Promise<void>;
}

export type FailureReason = 'not-found' | 'forbidden' | 'wrong-status' | 'incomplete' | 'stale';

export interface BatchResult {
  done: string[];
  failed: { id: string; reason: FailureReason; message: string; fields?: FieldErrors }[];
  gradeChanges: PracticumGradeChange[];
}

function actorRecord(ctx: PracticumContext) {
  const a = ctx.actor;
  return a.kind === 'lti' ? { kind: 'lti', sub: a.caller.sub, email: a.caller.email || null, name: a.caller.name, role: ctx.role } : { kind: 'external', sub: null, email: a.email, name: a.name, role: ctx.role };
}

function candidateOf(ctx: PracticumContext) {
  if (ctx.actor.kind !== 'lti') throw notFound('practicum_entry_not_found', 'Only candidates keep practicum entries.');
  return ctx.actor.caller;
}

export interface SaveOptions {
  /** A new entry is created submitted ("Save and submit" of a complete form). */
  submit?: boolean;
  /** Autosave: only drafts are changed; any other entry is a conflict. */
  draftsOnly?: boolean;
}

export interface SavedEntry {
  entry: PracticumEntry;
  /** The form was sent again after its entry had been submitted: nothing was changed. */
  isReplayOfFinal: boolean;
  /** The candidate's progress items as this save left them (absent when nothing was saved). */
  progressItems?: Record<string, ProgressItem>;
  /** Entries of the candidate as the settle that made those items had them (this one, and others saved in the same turn). */
  settledEntries?: PracticumEntry[];
}

/**
 * Creates or updates the candidate's entry. Drafts save whatever is typed (no completeness check);
 * editing a returned entry brings it back to draft.
 */
export async function saveDraft(ctx: PracticumContext, form: EntryForm, options: SaveOptions = {}): Promise<PracticumEntry> {
  return (await saveEntry(ctx, form, options)).entry;
}

/** saveDraft, also telling a replay of a submitted form apart and answering the progress it settled. */
export async function saveEntry(ctx: PracticumContext, form: EntryForm, options: SaveOptions = {}): Promise<SavedEntry> {
  const caller = candidateOf(ctx);
  const site = await resolveSite(ctx.activity._id, caller.iss, caller.sub, form);
  const fields = {
    date: form.date ?? null,
    minutes: form.hours === undefined ? 0 : Math.round(form.hours * 60),
    site,
    category: form.category ?? null,
    standards: [...new Set(form.standards)],
    description: form.description,
    reflection: form.reflection,
    mentor: { sub: null, email: form.mentorEmail ?? null, name: form.mentorName },
  };
  const now = new Date();
  const key = { activityId: ctx.activity._id, iss: ctx.activity.iss, contextId: ctx.activity.contextId ?? null, candidateSub: caller.sub, candidateName: caller.name };
  const settle = async (entry: PracticumEntry, isReplayOfFinal = false): Promise<SavedEntry> => {
    const { items, written } = await settleCandidateProgress({ activity: ctx.activity, candidateSub: caller.sub, candidateName: caller.name, entryIds: [entry._id], written: [entry], isApprovalChange: false, today: ctx.today, onGradeChange: ctx.onGradeChange });
    return { entry, isReplayOfFinal, progressItems: items, settledEntries: written };
  };

  if (!form.entryId) {
    let _id = new Types.ObjectId();
    // The token is reserved first and read only when that fails (a form sent again): the first
    // post of every form costs no read.
    if (form.formToken && !(await withTransientRetry(() => claimFormToken(ctx, caller.sub, form.formToken!, _id)))) {
      // The same form arrived again: the entry its first post reserved is edited if it exists (a
      // submitted one is left as it is)...
      const reserved = await withTransientRetry(() => findRaw<{ entryId: string }>(PracticumEntryKeyModel, { _id: formTokenKey(ctx, caller.sub, form.formToken!) }));
      const earlier = reserved && (await withTransientRetry(() => PracticumEntryModel.findOne({ _id: reserved.entryId, activityId: ctx.activity._id, candidateSub: caller.sub }).lean()));
      if (earlier && !options.draftsOnly && earlier.status !== 'draft' && earlier.status !== 'returned') return { entry: earlier, isReplayOfFinal: true };
      if (earlier) return saveEntry(ctx, { ...form, entryId: String(earlier._id), version: form.version ?? earlier.version }, { draftsOnly: options.draftsOnly });
      if (!reserved || !Types.ObjectId.isValid(reserved.entryId)) throw conflict('practicum_entry_changed', 'This entry is being saved in another window; reload to see it.');
      // ...else the first post was cut off before its insert (or is still on its way): insert under
      // the reserved _id, so however many posts of the form arrive, one entry exists.
      _id = new Types.ObjectId(reserved.entryId);
    }
    // "Save and submit" of a new, complete entry is one insert (version 2: created, then submitted),
    // not an insert and an update: half the writes of a deadline, and nothing half-applied.
    const submitted = options.submit
      ? { status: 'submitted' as const, version: 2, submittedAt: now, lastTransition: { from: 'draft', to: 'submitted', actor: actorRecord(ctx), comment: '', at: now } }
      : { status: 'draft' as const };
    const created = await insertOnce(() => insertValidated<PracticumEntry>(PracticumEntryModel, { _id, ...key, ...fields, ...submitted }), _id);
    if (options.submit) await writeAudit({ entryId: created._id, activityId: ctx.activity._id, candidateSub: caller.sub, version: created.version, ...submitted.lastTransition! });
    return settle(created);
  }

  const entryId = form.entryId;
  const own = async () => {
    const entry = await readEntry(entryId);
    // Read by _id alone (a filter naming the candidate too scans every entry on the embedded
    // database, on every autosave), then checked to be this candidate's entry in this activity.
    if (!entry || String(entry.activityId) !== String(ctx.activity._id) || entry.candidateSub !== caller.sub) throw notFound('practicum_entry_not_found', 'That entry does not exist or is not yours.');
    authorizeEntry(ctx.actor, 'candidate', entry);
    if (options.draftsOnly && entry.status !== 'draft') throw conflict('practicum_entry_not_draft', 'Only drafts are saved automatically; use “Save draft” to change this entry.');
    return entry;
  };
  // The page's version is claimed first and the entry read under the claim: only the claim holder
  // can move the entry on from that version, so what it reads stays true until its update.
  const version = form.version ?? (await own()).version;
  const editable = allowedFrom('edit', 'candidate', rulesOf(ctx));
  let seen: PracticumEntry | null = null;
  let transition: EditTransition | null = null;
  const updated = await withTransientRetry(() => underClaim(entryId, version, async () => {
    const before = (seen = await own());
    if (before.version !== version || !editable.includes(before.status)) return null;
    transition = before.status === 'draft' ? null : { from: before.status, to: 'draft', actor: actorRecord(ctx), comment: '', at: now };
    // The full condition still, should the claim's lease have run out meanwhile (read by the _id index).
    const filter = { _id: before._id, version, status: { $in: editable } };
    return PracticumEntryModel.findOneAndUpdate(filter, { $set: { ...fields, status: 'draft', ...(transition ? { lastTransition: transition } : {}) }, $inc: { version: 1 } }, { new: true })
      .lean()
      .exec();
  }));
  if (!updated) {
    const status = (seen as PracticumEntry | null)?.status;
    throw conflict('practicum_entry_changed', !status || status === 'draft' || status === 'returned' ? 'This entry changed in another window; reload to see the latest version.' : 'This entry was already submitted and can no longer be edited.');
  }
  const t = transition as EditTransition | null;
  if (t) await writeAudit({ entryId: updated._id, activityId: ctx.activity._id, candidateSub: caller.sub, version: updated.version, ...t });
  return settle(updated as PracticumEntry);
}

type EditTransition = { from: EntryStatus; to: 'draft'; actor: ReturnType<typeof actorRecord>; comment: string; at: Date };

/**
 * An insert with a known _id, repeated after a transient error. The inserted document is the entry
 * (no read back); a duplicate means an earlier attempt landed, and the stored one is read.
 */
async function insertOnce(insert: () => Promise<PracticumEntry>, _id: Types.ObjectId): Promise<PracticumEntry> {
  try {
    return await withTransientRetry(insert);
  } catch (err) {
    if (!isDuplicateKeyError(err)) throw err;
  }
  const created = await withTransientRetry(() => findRaw<PracticumEntry>(PracticumEntryModel, { _id }));
  if (!created) throw conflict('practicum_entry_changed', 'The entry could not be saved; please try again.');
  return created;
}

const formTokenKey = (ctx: PracticumContext, candidateSub: string, token: string) => `practicum-entry:${JSON.stringify([String(ctx.activity._id), candidateSub, token])}`;

/** Reserves a form token for the entry about to be created; false when another request has it. */
async function claimFormToken(ctx: PracticumContext, candidateSub: string, token: string, entryId: Types.ObjectId): Promise<boolean> {
  try {
    await insertRaw(PracticumEntryKeyModel, { _id: formTokenKey(ctx, candidateSub, token), entryId: String(entryId), createdAt: new Date() });
    return true;
  } catch (err) {
    if (isDuplicateKeyError(err)) return false;
    throw err;
  }
}

function rulesOf(ctx: PracticumContext) {
  return { requiresMentorVerification: effectiveRules(readSettings(ctx.activity.settings)).requiresMentorVerification };
}

const TO: Record<Exclude<TransitionAction, 'edit'>, EntryStatus> = { submit: 'submitted', verify: 'verified', approve: 'approved', return: 'returned' };

/**
 * Applies one action to many entries. Each entry is its own atomic step: one failing (stale
 * version, wrong status, incomplete, not allowed) never blocks the others.
 */
export async function transitionEntries(ctx: PracticumContext, action: Exclude<TransitionAction, 'edit'>, items: { id: string; version: number }[], comment = ''): Promise<BatchResult> {
  const result: BatchResult = { done: [], failed: [], gradeChanges: [] };
  const from = allowedFrom(action, ctx.role, rulesOf(ctx));
  // Per candidate: the entries changed, their name, and whether an approval was given or taken back.
  const touched = new Map<string, { name: string; entryIds: unknown[]; isApprovalChange: boolean }>();
  const ids = [...new Set(items.map((i) => i.id).filter((id) => Types.ObjectId.isValid(id)))];
  // One read by _id per entry: the embedded database answers those without scanning the collection.
  const loaded = await Promise.all(ids.map((id) => withTransientRetry(() => PracticumEntryModel.findOne({ _id: id }).lean())));
  const byId = new Map(loaded.filter((e): e is NonNullable<typeof e> => e !== null && String(e.activityId) === String(ctx.activity._id)).map((e) => [String(e._id), e]));
  for (const item of items) {
    const before = byId.get(item.id);
    if (!before) {
      result.failed.push({ id: item.id, reason: 'not-found', message: 'Not found in this activity.' });
      continue;
    }
    try {
      authorizeEntry(ctx.actor, ctx.role, before);
    } catch (err) {
      result.failed.push({ id: item.id, reason: 'forbidden', message: (err as Error).message });
      continue;
    }
    if (!from.includes(before.status)) {
      result.failed.push({ id: item.id, reason: 'wrong-status', message: `An entry that is ${before.status} cannot be ${action === 'return' ? 'returned' : `${action}${action.endsWith('e') ? 'd' : 'ed'}`} by you.` });
      continue;
    }
    if (action === 'submit') {
      const missing = missingForSubmit({ ...before, date: before.date ?? null, category: before.category ?? null, site: { name: before.site?.name ?? '', gradeBand: before.site?.gradeBand ?? null } }, ctx.today, termOf(readSettings(ctx.activity.settings)));
      if (Object.keys(missing).length) {
        result.failed.push({ id: item.id, reason: 'incomplete', message: 'Complete the entry before submitting it.', fields: missing });
        continue;
      }
    }
    const now = new Date();
    const to = TO[action];
    const transition = { from: before.status, to, actor: actorRecord(ctx), comment, at: now };
    const roleStamp = action === 'verify' ? { verifiedBy: transition.actor.sub ?? transition.actor.email } : action === 'approve' ? { approvedBy: transition.actor.sub } : action === 'submit' ? { submittedAt: now } : {};
    const returned = action === 'return' ? { returned: { by: transition.actor.name || transition.actor.sub, comment, at: now } } : {};
    const updated = await withTransientRetry(() => underClaim(before._id, item.version, () =>
      PracticumEntryModel.findOneAndUpdate(
        { _id: before._id, version: item.version, status: { $in: from } },
        { $set: { status: to, lastTransition: transition, ...roleStamp, ...returned }, $inc: { version: 1 } },
        { new: true },
      )
        .lean()
        .exec(),
    ));
    if (!updated) {
      result.failed.push({ id: item.id, reason: 'stale', message: 'This entry changed since the page was loaded; reload and try again.' });
      continue;
    }
    await writeAudit({ entryId: updated._id, activityId: ctx.activity._id, candidateSub: updated.candidateSub, version: updated.version, ...transition });
    result.done.push(item.id);
    const t = touched.get(updated.candidateSub) ?? { name: updated.candidateName ?? '', entryIds: [], isApprovalChange: false };
    t.entryIds.push(updated._id);
    t.isApprovalChange ||= before.status === 'approved' || to === 'approved';
    touched.set(updated.candidateSub, t);
  }
  // One settle per candidate for the whole batch: progress, then the completion grade.
  for (const [candidateSub, t] of touched) {
    const change = await settleCandidate({ activity: ctx.activity, candidateSub, candidateName: t.name, entryIds: t.entryIds, isApprovalChange: t.isApprovalChange, today: ctx.today, onGradeChange: ctx.onGradeChange });
    if (change) result.gradeChanges.push(change);
  }
  return result;
}

type Items = { id: string; version: number }[];
/** Candidate: submit drafts / returned entries (each validated fully, per-entry errors). */
export const submitEntries = (ctx: PracticumContext, items: Items) => transitionEntries(ctx, 'submit', items);
/** Mentor (LTI or external link): verify mentees' submitted entries in a batch. */
export const verifyEntries = (ctx: PracticumContext, items: Items, comment = '') => transitionEntries(ctx, 'verify', items, comment);
/** Faculty: approve verified (or, when the pack needs no mentor, submitted) entries in a batch. */
export const approveEntries = (ctx: PracticumContext, items: Items, comment = '') => transitionEntries(ctx, 'approve', items, comment);
/** Mentor or faculty: return entries with a comment. */
export const returnEntries = (ctx: PracticumContext, items: Items, comment: string) => transitionEntries(ctx, 'return', items, comment);
/** Candidate: editing a returned entry is saving it as a draft again. */
export const editReturned = saveDraft;
