import type { AppConfig } from '../platform/config';
import type { Logger } from '../platform/logger';

export interface SandboxDeps {
  config: AppConfig;
  logger: Logger;
}

/** Role presets modelled on what Canvas sends for each enrollment type. */
export const ROLE_PRESETS = ['candidate', 'faculty', 'ta', 'mentor', 'coordinator', 'designer', 'test-student'] as const;
export type RolePreset = (typeof ROLE_PRESETS)[number];

export const PLACEMENT_KINDS = ['resource_link', 'deep_linking', 'course_navigation', 'account_navigation'] as const;
export type PlacementKind = (typeof PLACEMENT_KINDS)[number];

export const AGS_MODES = ['up', 'down', 'slow', 'rate-limited'] as const;
export type AgsMode = (typeof AGS_MODES)[number];

/** Whose rules a course's gradebook follows for a score POST (score-rules.ts); Canvas by default. */
export const SCORING_MODES = ['canvas', 'moodle'] as const;
export type ScoringMode = (typeof SCORING_MODES)[number];

export type LtiMessageType = 'LtiResourceLinkRequest' | 'LtiDeepLinkingRequest';
