/**
 * The activity kinds Fieldbook offers. The LTI layer (deep-linking picker, launch, routes) knows
 * kinds only through this list: a new kind is its feature folder plus one line here.
 */
import { practicumKind } from '../practicum/practicum.kind';
import type { ActivityKind } from './activity-kind';

export const ACTIVITY_KINDS: readonly ActivityKind[] = [practicumKind];

export function findKind(type: string): ActivityKind | undefined {
  return ACTIVITY_KINDS.find((k) => k.type === type);
}
