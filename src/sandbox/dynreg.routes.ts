import { createHash, randomBytes } from 'node:crypto';
import express, { type Request, type Response, type Router } from 'express';
import { Schema } from 'mongoose';
import { z } from 'zod';
import { PLATFORM_CONFIGURATION_CLAIM, TOOL_CONFIGURATION_CLAIM, TOOL_SCOPES } from '../lti/dynamic-registration.service';
import { createRegistrationInvite } from '../lti/registration/registration-invite.service';
import { defineModel } from './model.util';
import { sandboxIdentity } from './sandbox.identity';
import type { SandboxDeps } from './sandbox.types';

/**
 * The platform side of LTI Dynamic Registration for the Sandbox LMS, modelled on Canvas: the
 * configuration is only shown to a holder of a registration token, and a token registers once.
 */

const TOKEN_LIFETIME_MS = 60 * 60 * 1000;

interface DynRegTokenDoc {
  tokenHash: string;
  createdAt: Date;
  expiresAt: Date;
  usedAt: Date | null;
}
const DynRegToken = defineModel<DynRegTokenDoc>(
  'SandboxDynRegToken',
  new Schema<DynRegTokenDoc>({
    tokenHash: { type: String, required: true, unique: true },
    createdAt: { type: Date, required: true },
    expiresAt: { type: Date, required: true },
    usedAt: { type: Date, default: null },
  }),
  'sandbox_dynreg_tokens',
);

export interface SandboxDynRegistrationDoc {
  clientId: string;
  deploymentId: string;
  clientName: string;
  initiateLoginUri: string;
  redirectUris: string[];
  jwksUri: string;
  targetLinkUri: string;
  scope: string;
  /** The tool's request as JSON text: its claim names contain dots, which stored keys may not. */
  registrationJson: string;
  createdAt: Date;
}
export const SandboxDynRegistration = defineModel<SandboxDynRegistrationDoc>(
  'SandboxDynRegistration',
  new Schema<SandboxDynRegistrationDoc>({
    clientId: { type: String, required: true, unique: true },
    deploymentId: { type: String, required: true },
    clientName: { type: String, required: true },
    initiateLoginUri: { type: String, required: true },
    redirectUris: { type: [String], required: true },
    jwksUri: { type: String, required: true },
    targetLinkUri: { type: String, required: true },
    scope: { type: String, default: '' },
    registrationJson: { type: String, required: true },
    createdAt: { type: Date, required: true },
  }),
  'sandbox_dynreg_registrations',
);

const hashToken = (token: string) => createHash('sha256').update(token).digest('hex');

function bearerOf(req: Request): string | null {
  const match = /^Bearer\s+(\S{1,4096})$/i.exec(req.headers.authorization ?? '');
  return match ? match[1] : null;
}

async function isUsableToken(token: string | null): Promise<boolean> {
  if (!token) return false;
  const found = await DynRegToken.exists({ tokenHash: hashToken(token), usedAt: null, expiresAt: { $gt: new Date() } });
  return found !== null;
}

/** Single use: the atomic update lets exactly one registration through per token. */
async function consumeToken(token: string): Promise<boolean> {
  const now = new Date();
  const doc = await DynRegToken.findOneAndUpdate({ tokenHash: hashToken(token), usedAt: null, expiresAt: { $gt: now } }, { $set: { usedAt: now } });
  return doc !== null;
}

function refuseToken(res: Response): void {
  res.setHeader('WWW-Authenticate', 'Bearer error="invalid_token"');
  res.status(401).json({ error: 'invalid_token', error_description: 'A valid, unused registration token is required (Authorization: Bearer <token>).' });
}

const httpUrl = z.string().url().refine((u) => /^https?:\/\//.test(u), 'must be an http(s) URL');

const toolRegistrationSchema = z.object({
  application_type: z.literal('web'),
  response_types: z.array(z.string()).refine((v) => v.includes('id_token'), 'must include id_token'),
  grant_types: z.array(z.string()).refine((v) => v.includes('implicit') && v.includes('client_credentials'), 'must include implicit and client_credentials'),
  initiate_login_uri: httpUrl,
  redirect_uris: z.array(httpUrl).min(1),
  client_name: z.string().min(1).max(200),
  jwks_uri: httpUrl,
  logo_uri: httpUrl.optional(),
  token_endpoint_auth_method: z.literal('private_key_jwt'),
  scope: z.string().max(2000).optional(),
  [TOOL_CONFIGURATION_CLAIM]: z
    .object({
      domain: z.string().min(1).max(255),
      target_link_uri: httpUrl,
      claims: z.array(z.string()).optional(),
      messages: z.array(z.object({ type: z.enum(['LtiResourceLinkRequest', 'LtiDeepLinkingRequest']) }).passthrough()).optional(),
    })
    .passthrough(),
});

export function sandboxOpenIdConfiguration(config: SandboxDeps['config']): Record<string, unknown> {
  const sandbox = sandboxIdentity(config);
  return {
    issuer: sandbox.issuer,
    authorization_endpoint: sandbox.authEndpoint,
    token_endpoint: sandbox.tokenEndpoint,
    token_endpoint_auth_methods_supported: ['private_key_jwt'],
    token_endpoint_auth_signing_alg_values_supported: ['RS256'],
    jwks_uri: sandbox.jwksUrl,
    registration_endpoint: `${sandbox.issuer}/dynreg/register`,
    scopes_supported: ['openid', ...TOOL_SCOPES],
    response_types_supported: ['id_token'],
    subject_types_supported: ['public', 'pairwise'],
    id_token_signing_alg_values_supported: ['RS256'],
    claims_supported: ['sub', 'iss', 'name', 'given_name', 'family_name', 'email'],
    [PLATFORM_CONFIGURATION_CLAIM]: {
      product_family_code: 'fieldbook-sandbox',
      version: '1.0',
      messages_supported: [{ type: 'LtiResourceLinkRequest' }, { type: 'LtiDeepLinkingRequest' }],
      variables: ['ResourceLink.id', 'Context.id', 'User.id'],
    },
  };
}

/**
 * Starts a registration: a one-time token and the tool URL an LMS admin would paste. In the
 * Sandbox the same person is Fieldbook's administrator too, so it also creates the tool's
 * one-time registration link (what npm run platform:invite does) and opens that.
 */
export async function startSandboxDynamicRegistration(config: SandboxDeps['config']) {
  const token = randomBytes(32).toString('base64url');
  const now = new Date();
  const invite = await createRegistrationInvite(config, { label: 'Sandbox LMS', lifetimeMs: TOKEN_LIFETIME_MS }, now);
  await DynRegToken.create({ tokenHash: hashToken(token), createdAt: now, expiresAt: new Date(now.getTime() + TOKEN_LIFETIME_MS), usedAt: null });
  const openidConfigurationUrl = `${sandboxIdentity(config).issuer}/dynreg/openid-configuration`;
  const query = new URLSearchParams({ openid_configuration: openidConfigurationUrl, registration_token: token });
  return { registrationToken: token, openidConfigurationUrl, toolRegistrationUrl: invite.url, registrationUrl: `${invite.url}?${query.toString()}`, expiresAt: new Date(now.getTime() + TOKEN_LIFETIME_MS) };
}

/** Mounted inside the Sandbox router: /sandbox/dynreg/… */
export function createSandboxDynRegRouter(deps: SandboxDeps): Router {
  const router = express.Router();
  const { config, logger } = deps;

  router.post('/dynreg/start', async (req, res, next) => {
    try {
      const started = await startSandboxDynamicRegistration(config);
      if (req.accepts(['html', 'json']) === 'json') {
        res.status(201).json(started);
        return;
      }
      res.redirect(303, started.registrationUrl);
    } catch (err) {
      next(err);
    }
  });

  router.get('/dynreg/openid-configuration', async (req, res, next) => {
    try {
      res.setHeader('Cache-Control', 'no-store');
      if (!(await isUsableToken(bearerOf(req)))) return refuseToken(res);
      res.json(sandboxOpenIdConfiguration(config));
    } catch (err) {
      next(err);
    }
  });

  router.post('/dynreg/register', express.json({ limit: '64kb' }), async (req, res, next) => {
    try {
      res.setHeader('Cache-Control', 'no-store');
      const token = bearerOf(req);
      if (!token || !(await isUsableToken(token))) return refuseToken(res);
      const parsed = toolRegistrationSchema.safeParse(req.body);
      if (!parsed.success) {
        const description = parsed.error.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`).join('; ');
        res.status(400).json({ error: 'invalid_client_metadata', error_description: description });
        return;
      }
      if (!(await consumeToken(token))) return refuseToken(res);

      const body = parsed.data;
      const toolConfig = body[TOOL_CONFIGURATION_CLAIM];
      const clientId = `fieldbook-dyn-${randomBytes(8).toString('hex')}`;
      const deploymentId = `sandbox-dyn-${randomBytes(6).toString('hex')}`;
      await SandboxDynRegistration.create({
        clientId,
        deploymentId,
        clientName: body.client_name,
        initiateLoginUri: body.initiate_login_uri,
        redirectUris: body.redirect_uris,
        jwksUri: body.jwks_uri,
        targetLinkUri: toolConfig.target_link_uri,
        scope: body.scope ?? '',
        registrationJson: JSON.stringify(req.body),
        createdAt: new Date(),
      });
      logger.info({ clientId, deploymentId, clientName: body.client_name }, 'sandbox: tool registered dynamically');
      res.status(200).json({
        client_id: clientId,
        application_type: body.application_type,
        response_types: body.response_types,
        grant_types: body.grant_types,
        initiate_login_uri: body.initiate_login_uri,
        redirect_uris: body.redirect_uris,
        client_name: body.client_name,
        jwks_uri: body.jwks_uri,
        token_endpoint_auth_method: body.token_endpoint_auth_method,
        scope: body.scope ?? '',
        [TOOL_CONFIGURATION_CLAIM]: { ...toolConfig, deployment_id: deploymentId },
      });
    } catch (err) {
      next(err);
    }
  });

  return router;
}
