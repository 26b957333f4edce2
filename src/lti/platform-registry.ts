import { invalidateFrameAncestors } from './frame-ancestors';
import { z } from 'zod';
import type { AppConfig } from '../platform/config';
import { AppError, isDuplicateKeyError } from '../platform/errors';
import { DEPLOYMENT_SOURCES, DeploymentModel, MAX_DEPLOYMENT_ID_LENGTH, type DeploymentSource } from './deployment.model';
import { lti, type LtiPlatform } from './ltijs';

/**
 * Platforms (issuer + client_id, kept by ltijs) and the deployments we accept for
 * each (kept by us in lti_deployments, because ltijs never checks deployment_id).
 */

export interface RegisterPlatformInput {
  issuer: string;
  name: string;
  clientId: string;
  authEndpoint: string;
  tokenEndpoint: string;
  jwksUrl: string;
  deploymentIds: string[];
  active?: boolean;
  registeredBy: DeploymentSource;
}

export interface RegistryOptions {
  /**
   * Accept http:// endpoints (development and tests; pass allowHttpFor(config)). Defaults to
   * false, except for the Sandbox LMS (registeredBy 'sandbox'), which never runs in production.
   */
  allowHttp?: boolean;
}

export interface PlatformSummary {
  issuer: string;
  clientId: string;
  name: string;
  authEndpoint: string;
  tokenEndpoint: string;
  jwksUrl: string;
  kid: string;
  active: boolean;
  deployments: Array<{ deploymentId: string; active: boolean; source: DeploymentSource; createdAt: Date }>;
}

export interface DeploymentKey {
  issuer: string;
  clientId: string;
  deploymentId: string;
}

/** http:// is acceptable everywhere except production. */
export function allowHttpFor(config: Pick<AppConfig, 'env'>): boolean {
  return config.env !== 'production';
}

const MAX_ID_LENGTH = 255;

function endpoint(allowHttp: boolean) {
  return z
    .string()
    .trim()
    .url('must be a URL')
    .max(2048)
    .refine((u) => u.startsWith('https://') || (allowHttp && u.startsWith('http://')), allowHttp ? 'must be an http(s) URL' : 'must be an https:// URL');
}

export const deploymentIdSchema = z
  .string()
  .trim()
  .min(1, 'deployment id must not be empty')
  .max(MAX_DEPLOYMENT_ID_LENGTH, `deployment id must be at most ${MAX_DEPLOYMENT_ID_LENGTH} characters`);

const clientIdSchema = z.string().trim().min(1, 'client id must not be empty').max(MAX_ID_LENGTH);

export function registerPlatformSchema(allowHttp: boolean) {
  return z.object({
    issuer: endpoint(allowHttp).refine((u) => !u.includes('#') && !u.includes('?'), 'issuer must not have a query or fragment'),
    name: z.string().trim().min(1, 'name must not be empty').max(200),
    clientId: clientIdSchema,
    authEndpoint: endpoint(allowHttp),
    tokenEndpoint: endpoint(allowHttp),
    jwksUrl: endpoint(allowHttp),
    deploymentIds: z.array(deploymentIdSchema).max(100),
    active: z.boolean().default(true),
    registeredBy: z.enum(DEPLOYMENT_SOURCES),
  });
}

function invalid(id: string, error: z.ZodError): AppError {
  const issues = error.issues.map((i) => `${i.path.join('.') || 'input'}: ${i.message}`);
  return new AppError(400, id, `Invalid platform registration: ${issues.join('; ')}`, true, { issues });
}

let indexesReady: Promise<unknown> | undefined;

/** Builds the unique index before the first write; upserts on FerretDB rely on it. */
function ensureIndexes(): Promise<unknown> {
  indexesReady ??= DeploymentModel.init().catch((err: unknown) => {
    indexesReady = undefined;
    throw err;
  });
  return indexesReady;
}

/** Idempotent: an existing (issuer, clientId, deploymentId) is updated, never duplicated. */
async function upsertDeployment(key: DeploymentKey, active: boolean, source: DeploymentSource): Promise<void> {
  await ensureIndexes();
  const now = new Date();
  const write = () =>
    DeploymentModel.updateOne(key, { $set: { active, source, updatedAt: now }, $setOnInsert: { createdAt: now } }, { upsert: true });
  try {
    await write();
  } catch (err) {
    // Two writers raced past FerretDB's query-then-insert upsert; the row exists now.
    if (!isDuplicateKeyError(err)) throw err;
    await write();
  }
}

/**
 * Registers (or updates) a platform in ltijs and records its deployments. Input is
 * validated before anything is written; re-running with the same input changes nothing.
 * Deployments not listed are kept (use removeDeployment to drop one).
 */
export async function registerPlatform(input: RegisterPlatformInput, options: RegistryOptions = {}): Promise<PlatformSummary> {
  const parsed = registerPlatformSchema(options.allowHttp ?? input.registeredBy === 'sandbox').safeParse(input);
  if (!parsed.success) throw invalid('platform_registration_invalid', parsed.error);
  const p = parsed.data;

  let platform: LtiPlatform;
  try {
    platform = await lti.registerPlatform({
      url: p.issuer,
      name: p.name,
      clientId: p.clientId,
      authenticationEndpoint: p.authEndpoint,
      accesstokenEndpoint: p.tokenEndpoint,
      authConfig: { method: 'JWK_SET', key: p.jwksUrl },
    });
    await platform.platformActive(p.active);
    for (const deploymentId of new Set(p.deploymentIds)) {
      await upsertDeployment({ issuer: p.issuer, clientId: p.clientId, deploymentId }, p.active, p.registeredBy);
    }
  } finally {
    // Also after a partial failure: whatever was written must be read afresh.
    invalidateRegistryCache();
  }
  const summary = await summarize(platform);
  invalidateFrameAncestors();
  return summary;
}

/**
 * Short-lived in-memory copies of what every login and launch reads: the registrations of an
 * issuer (with their active flag) and the deployments found active. Only positive answers are
 * kept: an unknown issuer or deployment is read again each time (a flood of made-up values cannot
 * fill memory), and callers re-read with `fresh` before refusing for an unknown or inactive
 * registration, so a cache never refuses what the database accepts. Every change made through
 * this module (registerPlatform, addDeployment, removeDeployment) clears this process's copies
 * at once. Another instance (several app servers on one database) sees a removal or deactivation
 * made elsewhere after at most REGISTRY_CACHE_TTL_MS; until then it may still accept a launch
 * from that registration or deployment (every other check, the signature included, still runs).
 */
export const REGISTRY_CACHE_TTL_MS = 30_000;
const MAX_CACHED = 1_000;

export interface CachedRegistration {
  platform: LtiPlatform;
  clientId: string;
  active: boolean;
}

const issuerCache = new Map<string, { at: number; registrations: CachedRegistration[] }>();
const deploymentCache = new Map<string, number>();
let registryGeneration = 0;

/** Forgets every cached registration and deployment (called on each change made in this process). */
export function invalidateRegistryCache(): void {
  registryGeneration += 1;
  issuerCache.clear();
  deploymentCache.clear();
}

function remember<V>(map: Map<string, V>, key: string, value: V): void {
  if (map.size >= MAX_CACHED) map.clear();
  map.set(key, value);
}

/**
 * The registrations of an issuer with their active flag, from a copy at most REGISTRY_CACHE_TTL_MS
 * old (see above); [] for an unknown issuer (never cached).
 */
export async function registrationsFor(issuer: string, options: { fresh?: boolean } = {}): Promise<CachedRegistration[]> {
  const now = Date.now();
  const hit = issuerCache.get(issuer);
  if (!options.fresh && hit && now - hit.at < REGISTRY_CACHE_TTL_MS) return hit.registrations;
  const generation = registryGeneration;
  const platforms = (await lti.getPlatform(issuer)) || [];
  const registrations = await Promise.all(
    platforms.map(async (platform) => ({ platform, clientId: await platform.platformClientId(), active: await platform.platformActive() })),
  );
  // A change made while we were reading must not be overwritten by what we read before it.
  if (registrations.length === 0) issuerCache.delete(issuer);
  else if (generation === registryGeneration) remember(issuerCache, issuer, { at: now, registrations });
  return registrations;
}

/** The check the launch makes: is this deployment one we know and accept for (iss, client_id)? */
export async function isKnownDeployment(issuer: string, clientId: string, deploymentId: string): Promise<boolean> {
  if (![issuer, clientId, deploymentId].every((v) => typeof v === 'string' && v.length > 0 && v.length <= 2048)) return false;
  if (deploymentId.length > MAX_DEPLOYMENT_ID_LENGTH) return false;
  const key = JSON.stringify([issuer, clientId, deploymentId]);
  const now = Date.now();
  const at = deploymentCache.get(key);
  if (at !== undefined && now - at < REGISTRY_CACHE_TTL_MS) return true;
  const generation = registryGeneration;
  const found = (await DeploymentModel.exists({ issuer, clientId, deploymentId, active: true })) !== null;
  if (found && generation === registryGeneration) remember(deploymentCache, key, now);
  else if (!found) deploymentCache.delete(key);
  return found;
}

async function summarize(platform: LtiPlatform): Promise<PlatformSummary> {
  const [issuer, clientId, name, authEndpoint, tokenEndpoint, authConfig, kid, active] = await Promise.all([
    platform.platformUrl(),
    platform.platformClientId(),
    platform.platformName(),
    platform.platformAuthEndpoint(),
    platform.platformAccessTokenEndpoint(),
    platform.platformAuthConfig(),
    platform.platformKid(),
    platform.platformActive(),
  ]);
  const deployments = await DeploymentModel.find({ issuer, clientId }).sort({ createdAt: 1 }).lean();
  return {
    issuer,
    clientId,
    name,
    authEndpoint,
    tokenEndpoint,
    jwksUrl: authConfig.key,
    kid,
    active,
    deployments: deployments.map((d) => ({ deploymentId: d.deploymentId, active: d.active, source: d.source as DeploymentSource, createdAt: d.createdAt })),
  };
}

/** One platform with its deployments, or null. */
export async function getPlatform(issuer: string, clientId: string): Promise<PlatformSummary | null> {
  const platform = await lti.getPlatform(issuer, clientId);
  return platform ? summarize(platform) : null;
}

/** Every registered platform with its deployments (for the CLI and admin pages). */
export async function listPlatforms(): Promise<PlatformSummary[]> {
  const platforms = await lti.getAllPlatforms();
  return Promise.all(platforms.map(summarize));
}

const deploymentKeySchema = z.object({ issuer: z.string().min(1).max(2048), clientId: clientIdSchema, deploymentId: deploymentIdSchema });

/** Adds (or re-activates) a deployment of an already registered platform. */
export async function addDeployment(
  key: DeploymentKey,
  options: { active?: boolean; source: DeploymentSource },
): Promise<void> {
  const parsed = deploymentKeySchema.safeParse(key);
  if (!parsed.success) throw invalid('deployment_invalid', parsed.error);
  const platform = await lti.getPlatform(parsed.data.issuer, parsed.data.clientId);
  if (!platform) throw new AppError(404, 'platform_not_registered', `No platform is registered for issuer ${key.issuer} and client id ${key.clientId}.`);
  await upsertDeployment(parsed.data, options.active ?? true, options.source);
  invalidateRegistryCache();
}

/** Removes a deployment; launches from it are refused from then on. Returns whether one existed. */
export async function removeDeployment(key: DeploymentKey): Promise<boolean> {
  const result = await DeploymentModel.deleteOne({ issuer: key.issuer, clientId: key.clientId, deploymentId: key.deploymentId });
  invalidateRegistryCache();
  return result.deletedCount > 0;
}
