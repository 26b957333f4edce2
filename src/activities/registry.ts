/**
 * The activity kinds Fieldbook offers. The LTI layer (deep-linking picker, launch, routes) knows
 * kinds only through this list: a new kind is its feature folder plus one line here.
 */
import { mentorshipKind } from '../mentorship/mentorship.kind';
import { practicumKind } from '../practicum/practicum.kind';
import type { ActivityKind } from './activity-kind';

export const ACTIVITY_KINDS: readonly ActivityKind[] = [practicumKind, mentorshipKind];

export function findKind(type: string): ActivityKind | undefined {
  return ACTIVITY_KINDS.find((k) => k.type === type);
}

/** Runs every kind's upgrade of records written by earlier versions (at start; idempotent). */
export async function upgradeActivityRecords(): Promise<Record<string, number>> {
  const changed: Record<string, number> = {};
  for (const kind of ACTIVITY_KINDS) if (kind.upgrade) changed[kind.type] = await kind.upgrade();
  return changed;
}
