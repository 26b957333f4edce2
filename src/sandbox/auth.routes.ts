import { Router, type Request } from 'express';
import { z } from 'zod';
import { signIdToken } from './id-token.service';
import { platformJwks } from './keys.service';
import { resolveLaunchHint } from './launch.service';
import { badRequest } from './sandbox.errors';
import { registeredRedirectUris, sandboxIdentity } from './sandbox.identity';
import type { SandboxDeps } from './sandbox.types';

/** The OIDC authentication request, checked the way Canvas and Moodle check it. */
function authRequestSchema(clientId: string, redirectUris: string[]) {
  const required = (name: string) => z.string({ required_error: `${name} is required` }).min(1, `${name} is required`);
  return z.object({
    scope: required('scope').refine((s) => s.split(' ').includes('openid'), 'scope must include openid'),
    response_type: required('response_type').refine((v) => v === 'id_token', 'response_type must be id_token'),
    response_mode: required('response_mode').refine((v) => v === 'form_post', 'response_mode must be form_post'),
    prompt: required('prompt').refine((v) => v === 'none', 'prompt must be none'),
    client_id: required('client_id').refine((v) => v === clientId, 'client_id is not registered with this platform'),
    redirect_uri: required('redirect_uri').refine((v) => redirectUris.includes(v), 'redirect_uri is not one of the tool’s registered redirect URIs'),
    login_hint: required('login_hint'),
    lti_message_hint: required('lti_message_hint'),
    state: required('state').max(2048),
    nonce: required('nonce').max(512),
    lti_deployment_id: z.string().optional(),
  });
}

function authParams(req: Request): Record<string, unknown> {
  const body = typeof req.body === 'object' && req.body !== null ? (req.body as Record<string, unknown>) : {};
  return { ...req.query, ...body };
}

/** OIDC authorization endpoint, platform JWKS and the launch_presentation return URL. */
export function createAuthRouter({ config, logger }: SandboxDeps): Router {
  const router = Router();
  const id = sandboxIdentity(config);
  const schema = authRequestSchema(id.clientId, registeredRedirectUris(config));

  router.all('/auth', async (req, res, next) => {
    try {
      if (req.method !== 'GET' && req.method !== 'POST') throw badRequest('Use GET or POST');
      const parsed = schema.safeParse(authParams(req));
      if (!parsed.success) throw badRequest(parsed.error.issues.map((i) => i.message).join('; '), 'invalid_request');
      const params = parsed.data;
      if (params.lti_deployment_id !== undefined && params.lti_deployment_id !== id.deploymentId) throw badRequest('lti_deployment_id is not this deployment');
      const launch = await resolveLaunchHint(params.lti_message_hint);
      if (params.login_hint !== launch.personId) throw badRequest('login_hint does not match the user of this launch (the session changed?)');
      const idToken = await signIdToken(config, { ...launch, nonce: params.nonce });
      logger.debug({ person: launch.person.id, placement: launch.placement.id }, 'sandbox: id_token issued');
      res.set('Cache-Control', 'no-store');
      res.render('sandbox/form-post', {
        title: 'Sandbox LMS — launching Fieldbook',
        action: params.redirect_uri,
        fields: [
          { name: 'id_token', value: idToken },
          { name: 'state', value: params.state },
        ],
        heading: `Launching ${launch.placement.title}`,
      });
    } catch (err) {
      next(err);
    }
  });

  router.get('/jwks', async (_req, res, next) => {
    try {
      res.set('Cache-Control', 'public, max-age=300');
      res.json(await platformJwks());
    } catch (err) {
      next(err);
    }
  });

  const returnQuery = z.object({ lti_msg: z.string().max(1000).optional(), lti_errormsg: z.string().max(1000).optional(), course_id: z.string().max(40).optional() });
  router.get('/return', (req, res) => {
    const q = returnQuery.safeParse(req.query);
    const data = q.success ? q.data : {};
    res.render('sandbox/return', { title: 'Sandbox LMS — back from Fieldbook', message: data.lti_msg, errorMessage: data.lti_errormsg });
  });

  return router;
}
