import { z } from 'zod';
import type { AppConfig } from '../platform/config';
import { DynamicRegistrationError, fetchJson } from './dynamic-registration.http';
import type { Logger } from '../platform/logger';
import { lti } from './ltijs';
import { allowHttpFor, registerPlatform, type PlatformSummary } from './platform-registry';
import { toolUrls } from './provider';
import { claimRegistrationInvite } from './registration/registration-invite.service';

export { DynamicRegistrationError } from './dynamic-registration.http';

/**
 * LTI Dynamic Registration 1.0, tool side. Our own because ltijs's does not send the
 * registration token when reading the configuration (Canvas needs it), starts platforms
 * inactive and drops the deployment id the platform returns.
 */

export const PLATFORM_CONFIGURATION_CLAIM = 'https://purl.imsglobal.org/spec/lti-platform-configuration';
export const TOOL_CONFIGURATION_CLAIM = 'https://purl.imsglobal.org/spec/lti-tool-configuration';

export const TOOL_SCOPES = [
  'https://purl.imsglobal.org/spec/lti-ags/scope/lineitem',
  'https://purl.imsglobal.org/spec/lti-ags/scope/lineitem.readonly',
  'https://purl.imsglobal.org/spec/lti-ags/scope/result.readonly',
  'https://purl.imsglobal.org/spec/lti-ags/scope/score',
  'https://purl.imsglobal.org/spec/lti-nrps/scope/contextmembership.readonly',
];

const TOOL_CLAIMS = ['iss', 'sub', 'name', 'given_name', 'family_name', 'email'];

/** Every hosted Canvas uses one of these issuers while serving its configuration from the instance. */
const CANVAS_CLOUD_ISSUERS = ['https://canvas.instructure.com', 'https://canvas.beta.instructure.com', 'https://canvas.test.instructure.com'];
const CANVAS_CLOUD_ENDPOINT_HOSTS = ['instructure.com', 'canvaslms.com'];

function httpUrl(allowHttp: boolean) {
  return z
    .string()
    .url()
    .max(2048)
    .refine((u) => u.startsWith('https://') || (allowHttp && u.startsWith('http://')), allowHttp ? 'must be an http(s) URL' : 'must be an https:// URL');
}

export function registrationQuerySchema(allowHttp: boolean) {
  return z.object({
    openid_configuration: httpUrl(allowHttp),
    registration_token: z.string().min(1).max(8192).optional(),
  });
}

function platformConfigurationSchema(allowHttp: boolean) {
  return z
    .object({
      issuer: httpUrl(allowHttp),
      authorization_endpoint: httpUrl(allowHttp),
      token_endpoint: httpUrl(allowHttp),
      jwks_uri: httpUrl(allowHttp),
      registration_endpoint: httpUrl(allowHttp),
      scopes_supported: z.array(z.string()).optional(),
      claims_supported: z.array(z.string()).optional(),
      [PLATFORM_CONFIGURATION_CLAIM]: z
        .object({
          product_family_code: z.string().min(1).max(200),
          version: z.string().max(200).optional(),
          messages_supported: z.array(z.object({ type: z.string(), placements: z.array(z.string()).optional() }).passthrough()).optional(),
        })
        .passthrough(),
    })
    .passthrough();
}

export type PlatformConfiguration = z.infer<ReturnType<typeof platformConfigurationSchema>>;

const registrationResponseSchema = z
  .object({
    client_id: z.string().min(1).max(255),
    [TOOL_CONFIGURATION_CLAIM]: z
      .object({ deployment_id: z.union([z.string(), z.number()]).optional() })
      .passthrough()
      .optional(),
  })
  .passthrough();

function isUnder(url: string, prefix: string): boolean {
  const base = prefix.endsWith('/') ? prefix : `${prefix}/`;
  return url === prefix || url.startsWith(base);
}

function hostMatches(url: string, domains: string[]): boolean {
  const host = new URL(url).hostname.toLowerCase();
  return domains.some((d) => host === d || host.endsWith(`.${d}`));
}

export function productFamily(configuration: PlatformConfiguration): string {
  return configuration[PLATFORM_CONFIGURATION_CLAIM].product_family_code.toLowerCase();
}

/**
 * The configuration must come from its issuer (the openid_configuration URL lies under the issuer).
 * Hosted Canvas is the exception: its issuer is canvas.instructure.com while the configuration is
 * served by the instance; there we require the login, token and key endpoints on Instructure hosts.
 */
export function checkIssuer(openidConfigurationUrl: string, configuration: PlatformConfiguration): void {
  if (isUnder(openidConfigurationUrl, configuration.issuer)) return;
  const isCanvasCloud = productFamily(configuration) === 'canvas' && CANVAS_CLOUD_ISSUERS.includes(configuration.issuer);
  if (isCanvasCloud) {
    const endpoints = [configuration.authorization_endpoint, configuration.token_endpoint, configuration.jwks_uri];
    if (endpoints.every((u) => hostMatches(u, CANVAS_CLOUD_ENDPOINT_HOSTS))) return;
    throw new DynamicRegistrationError(400, 'dynreg_canvas_endpoints', 'The Canvas configuration names login, token or key endpoints outside Instructure; registration refused.');
  }
  throw new DynamicRegistrationError(
    400,
    'dynreg_issuer_mismatch',
    `The platform configuration was served from ${new URL(openidConfigurationUrl).host}, which is not its issuer (${configuration.issuer}); registration refused.`,
  );
}

export async function fetchPlatformConfiguration(url: string, registrationToken: string | undefined, allowHttp: boolean): Promise<PlatformConfiguration> {
  const { status, json } = await fetchJson(url, { method: 'GET', bearer: registrationToken, what: 'read its configuration' });
  if (status === 401 || status === 403) {
    throw new DynamicRegistrationError(400, 'dynreg_configuration_refused', 'The platform refused to share its configuration: the registration link is invalid or has expired. Start the registration again from the LMS.');
  }
  if (status >= 400 && status < 500) {
    throw new DynamicRegistrationError(400, 'dynreg_configuration_not_found', `The platform answered ${status} for its configuration; check the registration URL.`);
  }
  if (status >= 300) throw new DynamicRegistrationError(502, 'dynreg_configuration_failed', `The platform answered ${status} when asked for its configuration.`);
  const parsed = platformConfigurationSchema(allowHttp).safeParse(json);
  if (!parsed.success) {
    const problems = parsed.error.issues.slice(0, 5).map((i) => `${i.path.join('.') || 'document'}: ${i.message}`);
    throw new DynamicRegistrationError(400, 'dynreg_configuration_invalid', `The platform configuration is not a valid LTI platform configuration (${problems.join('; ')}).`);
  }
  return parsed.data;
}

export type ToolRegistration = Record<string, unknown>;

/** The registration request, with Canvas placements and privacy level for Canvas and plain messages elsewhere. */
export function buildToolRegistration(config: Pick<AppConfig, 'publicUrl'>, configuration: PlatformConfiguration): ToolRegistration {
  const urls = toolUrls(config);
  const isCanvas = productFamily(configuration) === 'canvas';
  const supportedScopes = configuration.scopes_supported;
  const scopes = supportedScopes ? TOOL_SCOPES.filter((s) => supportedScopes.includes(s)) : TOOL_SCOPES;
  const supportedClaims = configuration.claims_supported;
  const claims = supportedClaims ? TOOL_CLAIMS.filter((c) => supportedClaims.includes(c)) : TOOL_CLAIMS;
  const icon = `${config.publicUrl}/static/lti/fieldbook-icon.svg`;

  const messages = isCanvas
    ? [
        { type: 'LtiResourceLinkRequest', target_link_uri: urls.launch, label: 'Fieldbook', icon_uri: icon, placements: ['course_navigation'] },
        {
          type: 'LtiResourceLinkRequest',
          target_link_uri: urls.launch,
          label: 'Fieldbook cohorts',
          icon_uri: icon,
          placements: ['account_navigation'],
          custom_parameters: { fieldbook_role: 'coordinator' },
        },
        { type: 'LtiDeepLinkingRequest', target_link_uri: urls.launch, label: 'Fieldbook activity', icon_uri: icon, placements: ['assignment_selection', 'link_selection'] },
      ]
    : [{ type: 'LtiResourceLinkRequest' }, { type: 'LtiDeepLinkingRequest', target_link_uri: urls.launch, label: 'Fieldbook activity' }];

  return {
    application_type: 'web',
    response_types: ['id_token'],
    grant_types: ['implicit', 'client_credentials'],
    initiate_login_uri: urls.login,
    redirect_uris: [urls.launch],
    client_name: 'Fieldbook',
    jwks_uri: urls.keys,
    logo_uri: icon,
    token_endpoint_auth_method: 'private_key_jwt',
    scope: scopes.join(' '),
    [TOOL_CONFIGURATION_CLAIM]: {
      domain: new URL(config.publicUrl).host,
      description: 'Practicum logs, mentorship check-ins, leadership portfolios and peer networks for M.Ed. programs.',
      target_link_uri: urls.launch,
      claims,
      messages,
      ...(isCanvas
        ? {
            custom_parameters: { observees: '$com.instructure.User.observees' },
            'https://canvas.instructure.com/lti/privacy_level': 'public',
          }
        : {}),
    },
  };
}

async function postRegistration(configuration: PlatformConfiguration, registration: ToolRegistration, registrationToken: string | undefined) {
  const { status, json } = await fetchJson(configuration.registration_endpoint, { method: 'POST', bearer: registrationToken, body: registration, what: 'register Fieldbook' });
  if (status >= 400 && status < 500) {
    throw new DynamicRegistrationError(400, 'dynreg_registration_refused', `The platform refused the registration (HTTP ${status}). Start the registration again from the LMS.`);
  }
  if (status >= 300) throw new DynamicRegistrationError(502, 'dynreg_registration_failed', `The platform failed to register Fieldbook (HTTP ${status}).`);
  const parsed = registrationResponseSchema.safeParse(json);
  if (!parsed.success) throw new DynamicRegistrationError(502, 'dynreg_registration_invalid', 'The platform accepted the registration but did not return a client id.');
  const deployment = parsed.data[TOOL_CONFIGURATION_CLAIM]?.deployment_id;
  const deploymentId = deployment === undefined ? null : String(deployment);
  if (deploymentId !== null && (deploymentId.length === 0 || deploymentId.length > 255)) {
    throw new DynamicRegistrationError(502, 'dynreg_registration_invalid', 'The platform returned an invalid deployment id.');
  }
  return { clientId: parsed.data.client_id, deploymentId };
}

export interface DynamicRegistrationResult {
  platform: PlatformSummary;
  productFamilyCode: string;
  deploymentId: string | null;
}

/**
 * Takes the administrator's one-time invite first (nothing is fetched and no key is generated
 * without one), then reads the platform configuration (with the registration token), registers
 * Fieldbook there and records the platform (active) with the deployment the platform returned.
 * Nothing is stored unless every step succeeded; an already registered (issuer, client_id) is never
 * overwritten. A registration that fails gives the invite back, so the administrator can retry.
 */
export async function performDynamicRegistration(
  params: { invite: string | undefined; openidConfiguration: string; registrationToken?: string },
  deps: { config: AppConfig; logger: Logger },
): Promise<DynamicRegistrationResult> {
  const invite = await claimRegistrationInvite(params.invite);
  let result: DynamicRegistrationResult;
  try {
    result = await registerWithPlatform(params, deps);
  } catch (err) {
    await invite.release().catch((releaseErr: unknown) => deps.logger.warn({ err: releaseErr }, 'dynamic registration: the invite could not be given back'));
    throw err;
  }
  await invite.complete({ issuer: result.platform.issuer, clientId: result.platform.clientId });
  deps.logger.info({ issuer: result.platform.issuer, clientId: result.platform.clientId, invite: invite.label }, 'registration invite used');
  return result;
}

async function registerWithPlatform(
  params: { openidConfiguration: string; registrationToken?: string },
  deps: { config: AppConfig; logger: Logger },
): Promise<DynamicRegistrationResult> {
  const allowHttp = allowHttpFor(deps.config);
  const configuration = await fetchPlatformConfiguration(params.openidConfiguration, params.registrationToken, allowHttp);
  checkIssuer(params.openidConfiguration, configuration);

  const registration = buildToolRegistration(deps.config, configuration);
  const { clientId, deploymentId } = await postRegistration(configuration, registration, params.registrationToken);

  if (await lti.getPlatform(configuration.issuer, clientId)) {
    throw new DynamicRegistrationError(409, 'dynreg_already_registered', `A platform with issuer ${configuration.issuer} and client id ${clientId} is already registered; it was left unchanged.`);
  }
  const family = configuration[PLATFORM_CONFIGURATION_CLAIM].product_family_code;
  const platform = await registerPlatform(
    {
      issuer: configuration.issuer,
      name: `${family} (${new URL(params.openidConfiguration).host})`,
      clientId,
      authEndpoint: configuration.authorization_endpoint,
      tokenEndpoint: configuration.token_endpoint,
      jwksUrl: configuration.jwks_uri,
      deploymentIds: deploymentId ? [deploymentId] : [],
      active: true,
      registeredBy: 'dynamic',
    },
    { allowHttp },
  );
  deps.logger.info({ issuer: platform.issuer, clientId, deploymentId, productFamilyCode: family }, 'platform registered dynamically');
  return { platform, productFamilyCode: family, deploymentId };
}
