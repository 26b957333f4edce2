import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { z } from 'zod';
import { PROJECT_ROOT } from './paths';

/**
 * The only module that reads process.env. Defaults live in config/default.json,
 * config/<env>.json overlays them, environment variables override both.
 */

const DEV_ENCRYPTION_KEY = 'development-only-encryption-key-change-me';

/** Of the shutdown limit, what is kept for closing the database after requests and grade sends. */
export const SHUTDOWN_RESERVE_MS = 1000;

const HOST_NAME = /^(?=.{1,253}$)[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*$/i;

const booleanish = z.union([z.boolean(), z.enum(['true', 'false', '1', '0']).transform((v) => v === 'true' || v === '1')]);

const configSchema = z
  .object({
    env: z.enum(['development', 'test', 'production']),
    port: z.coerce.number().int().min(0).max(65535),
    /**
     * The interface to listen on: loopback in development (a laptop's dev server, with its Sandbox
     * LMS, is not for the café's network), every interface in production, where the container or
     * proxy in front decides who reaches the port.
     */
    host: z
      .string()
      .trim()
      .refine((h) => net.isIP(h) !== 0 || HOST_NAME.test(h), 'must be an IP address or host name, e.g. 127.0.0.1, 0.0.0.0 or ::'),
    publicUrl: z
      .string()
      .url()
      .transform((u) => u.replace(/\/+$/, '')),
    logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']),
    dataDir: z.string().min(1),
    mongodbUri: z
      .string()
      .regex(/^mongodb(\+srv)?:\/\//, 'must start with mongodb:// or mongodb+srv://')
      .nullable(),
    lti: z.object({
      encryptionKey: z.string().min(32, 'must be at least 32 characters').nullable(),
      tokenMaxAgeSeconds: z.coerce.number().int().min(1).max(3600),
      cookieSecure: booleanish,
      cookieSameSite: z.enum(['Lax', 'Strict', 'None']),
      clockSkewSeconds: z.coerce.number().int().min(0).max(300),
      /** Per client IP and instance, for login and launch each (in-memory token bucket); 0 turns it off. */
      rateLimitPerMinute: z.coerce.number().int().min(0).max(100_000).default(600),
      /**
       * Extra origins allowed to frame pages under /lti besides the registered platforms' issuer and
       * auth endpoint origins (Canvas frames the tool from the school's instance domain, not its issuer).
       * Space-separated in LTI_FRAME_ANCESTORS.
       */
      frameAncestors: z
        .union([z.string(), z.array(z.string())])
        .transform((v) => (Array.isArray(v) ? v : v.split(/\s+/)).map((o) => o.trim()).filter(Boolean))
        .pipe(z.array(z.string().url('must be origins like https://school.instructure.com').transform((u) => new URL(u).origin)).max(100))
        .default([]),
    }),
    sandbox: z.object({ enabled: booleanish }),
    mail: z.object({
      smtpUrl: z.string().regex(/^smtps?:\/\//, 'must start with smtp:// or smtps://').nullable(),
      from: z.string().min(3),
    }),
    /**
     * Mentor invitation mails (naming, changing or re-sending), counted in the database so every
     * instance shares them; 0 turns a limit off. Per candidate counts what the candidate sends about
     * themselves; per course counts everything, faculty reassignments included.
     */
    mentorInvites: z
      .object({
        perCandidatePerHour: z.coerce.number().int().min(0).max(1_000).default(5),
        perCandidatePerDay: z.coerce.number().int().min(0).max(10_000).default(20),
        perCoursePerDay: z.coerce.number().int().min(0).max(100_000).default(200),
      })
      .default({}),
    /** From SIGTERM to exit: requests in flight finish, the grade sender stops, the database closes. */
    shutdownTimeoutMs: z.coerce.number().int().min(1000).max(120000),
    grading: z
      .object({
        /** Per grade sent to an LMS (token request + score POST); below the shutdown limit, see below. */
        sendTimeoutMs: z.coerce.number().int().min(500).max(60_000).default(10_000),
      })
      .default({}),
    jobs: z
      .object({
        /** How often each instance checks whether a scheduled job (reconciliation, reminders) is due. */
        tickMs: z.coerce.number().int().min(200).max(600_000).default(15_000),
      })
      .default({}),
    /**
     * Compile each template once and keep it (express's 'view cache'). Unset: on in production only,
     * so development picks up template edits without a restart. VIEW_CACHE=true for measurements.
     */
    viewCache: booleanish.optional(),
  })
  .superRefine((c, ctx) => {
    // A send in flight when SIGTERM comes must be able to finish (or time out) and leave time to
    // close the database, or every shutdown during a slow LMS answer ends in a forced exit.
    if (c.grading.sendTimeoutMs + SHUTDOWN_RESERVE_MS > c.shutdownTimeoutMs) {
      ctx.addIssue({
        code: 'custom',
        path: ['grading', 'sendTimeoutMs'],
        message: `must be at least ${SHUTDOWN_RESERVE_MS} ms below SHUTDOWN_TIMEOUT_MS (${c.shutdownTimeoutMs}), so that a grade send in flight at shutdown can finish before the process has to exit`,
      });
    }
    if (c.env !== 'production') return;
    if (c.sandbox.enabled) {
      ctx.addIssue({ code: 'custom', path: ['sandbox', 'enabled'], message: 'the Sandbox LMS is for development and tests only; it cannot be enabled in production' });
    }
    if (!c.lti.encryptionKey || c.lti.encryptionKey === DEV_ENCRYPTION_KEY) {
      ctx.addIssue({ code: 'custom', path: ['lti', 'encryptionKey'], message: 'LTI_ENCRYPTION_KEY must be set (32+ random characters) in production' });
    }
    if (!c.publicUrl.startsWith('https://')) {
      ctx.addIssue({ code: 'custom', path: ['publicUrl'], message: 'PUBLIC_URL must be https:// in production (LMS iframes need secure cookies)' });
    }
    if (!c.mongodbUri) {
      ctx.addIssue({ code: 'custom', path: ['mongodbUri'], message: 'MONGODB_URI is required in production (the embedded database is for development)' });
    }
  });

export type AppConfig = Omit<z.infer<typeof configSchema>, 'lti'> & {
  lti: Omit<z.infer<typeof configSchema>['lti'], 'encryptionKey'> & { encryptionKey: string };
};

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

type Json = Record<string, unknown>;

function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function deepMerge(base: Json, over: Json): Json {
  const out: Json = { ...base };
  for (const [k, v] of Object.entries(over)) {
    out[k] = isObject(v) && isObject(base[k]) ? deepMerge(base[k] as Json, v) : v;
  }
  return out;
}

function setPath(target: Json, keys: string[], value: unknown): void {
  let node = target;
  for (const key of keys.slice(0, -1)) {
    if (!isObject(node[key])) node[key] = {};
    node = node[key] as Json;
  }
  node[keys[keys.length - 1]] = value;
}

/** Environment variable → config path. Documented in README "Configuration". */
export const ENV_VARIABLES: Record<string, string[]> = {
  NODE_ENV: ['env'],
  PORT: ['port'],
  HOST: ['host'],
  PUBLIC_URL: ['publicUrl'],
  LOG_LEVEL: ['logLevel'],
  DATA_DIR: ['dataDir'],
  MONGODB_URI: ['mongodbUri'],
  LTI_ENCRYPTION_KEY: ['lti', 'encryptionKey'],
  LTI_TOKEN_MAX_AGE_SECONDS: ['lti', 'tokenMaxAgeSeconds'],
  LTI_COOKIE_SECURE: ['lti', 'cookieSecure'],
  LTI_COOKIE_SAMESITE: ['lti', 'cookieSameSite'],
  LTI_CLOCK_SKEW_SECONDS: ['lti', 'clockSkewSeconds'],
  LTI_RATE_LIMIT_PER_MINUTE: ['lti', 'rateLimitPerMinute'],
  LTI_FRAME_ANCESTORS: ['lti', 'frameAncestors'],
  SANDBOX_ENABLED: ['sandbox', 'enabled'],
  SMTP_URL: ['mail', 'smtpUrl'],
  MAIL_FROM: ['mail', 'from'],
  MENTOR_INVITES_PER_CANDIDATE_HOUR: ['mentorInvites', 'perCandidatePerHour'],
  MENTOR_INVITES_PER_CANDIDATE_DAY: ['mentorInvites', 'perCandidatePerDay'],
  MENTOR_INVITES_PER_COURSE_DAY: ['mentorInvites', 'perCoursePerDay'],
  SHUTDOWN_TIMEOUT_MS: ['shutdownTimeoutMs'],
  GRADE_SEND_TIMEOUT_MS: ['grading', 'sendTimeoutMs'],
  JOBS_TICK_MS: ['jobs', 'tickMs'],
  VIEW_CACHE: ['viewCache'],
};

export interface LoadConfigOptions {
  env?: NodeJS.ProcessEnv;
  configDir?: string;
  /** Applied after the environment; used by tests and the test harness. */
  overrides?: Json;
}

/** Loads, merges and validates configuration. Throws ConfigError with every problem listed. */
export function loadConfig(options: LoadConfigOptions = {}): AppConfig {
  const env = options.env ?? process.env;
  const configDir = options.configDir ?? path.join(PROJECT_ROOT, 'config');
  const readJson = (file: string): Json => {
    const full = path.join(configDir, file);
    if (!fs.existsSync(full)) return {};
    try {
      return JSON.parse(fs.readFileSync(full, 'utf8')) as Json;
    } catch (err) {
      throw new ConfigError([`${full}: ${(err as Error).message}`]);
    }
  };

  const envName = env.NODE_ENV && ['development', 'test', 'production'].includes(env.NODE_ENV) ? env.NODE_ENV : 'development';
  let raw = deepMerge(readJson('default.json'), readJson(`${envName}.json`));
  raw.env = envName;
  for (const [name, keys] of Object.entries(ENV_VARIABLES)) {
    const value = env[name];
    if (value !== undefined && value !== '') setPath(raw, keys, value);
  }
  if (options.overrides) raw = deepMerge(raw, options.overrides);

  const parsed = configSchema.safeParse(raw);
  if (!parsed.success) {
    const byPath = Object.fromEntries(Object.entries(ENV_VARIABLES).map(([n, k]) => [k.join('.'), n]));
    throw new ConfigError(
      parsed.error.issues.map((i) => {
        const key = i.path.join('.');
        const hint = byPath[key] ? ` (set ${byPath[key]})` : '';
        return `${key}: ${i.message}${hint}`;
      }),
    );
  }
  const c = parsed.data;
  return {
    ...c,
    dataDir: path.resolve(c.dataDir),
    lti: { ...c.lti, encryptionKey: c.lti.encryptionKey ?? DEV_ENCRYPTION_KEY },
  };
}
