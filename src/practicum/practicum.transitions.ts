/**
 * The practicum entry state machine: which role may move an entry from which status to which.
 * draft → submitted → verified (mentor) → approved (faculty), or returned with a comment at any
 * review step; a returned entry is edited back to draft (or resubmitted as is).
 */
import type { EntryStatus } from './practicum-entry.model';

export type TransitionAction = 'edit' | 'submit' | 'verify' | 'approve' | 'return';
export type ActorRole = 'candidate' | 'mentor' | 'faculty';

interface Rule {
  action: TransitionAction;
  role: ActorRole;
  from: EntryStatus[];
  to: EntryStatus;
}

const RULES: Rule[] = [
  { action: 'edit', role: 'candidate', from: ['draft', 'returned'], to: 'draft' },
  { action: 'submit', role: 'candidate', from: ['draft', 'returned'], to: 'submitted' },
  { action: 'verify', role: 'mentor', from: ['submitted'], to: 'verified' },
  { action: 'return', role: 'mentor', from: ['submitted'], to: 'returned' },
  { action: 'approve', role: 'faculty', from: ['verified', 'submitted'], to: 'approved' },
  { action: 'return', role: 'faculty', from: ['submitted', 'verified', 'approved'], to: 'returned' },
];

export interface TransitionOptions {
  /** The rule pack asks for mentor verification before faculty approval. */
  requiresMentorVerification: boolean;
}

/** The statuses `role` may apply `action` to (the conditional update's filter). */
export function allowedFrom(action: TransitionAction, role: ActorRole, options: TransitionOptions): EntryStatus[] {
  const rule = RULES.find((r) => r.action === action && r.role === role);
  if (!rule) return [];
  if (action === 'approve' && options.requiresMentorVerification) return rule.from.filter((s) => s !== 'submitted');
  return rule.from;
}

/** The status an allowed transition leads to, or null when the role may not do it from `from`. */
export function nextStatus(from: EntryStatus, action: TransitionAction, role: ActorRole, options: TransitionOptions): EntryStatus | null {
  const rule = RULES.find((r) => r.action === action && r.role === role);
  return rule && allowedFrom(action, role, options).includes(from) ? rule.to : null;
}

export const ACTION_LABELS: Record<TransitionAction, string> = { edit: 'edited', submit: 'submitted', verify: 'verified', approve: 'approved', return: 'returned' };
