import express, { type Router } from 'express';
import type { AppConfig } from '../platform/config';
import { AppError } from '../platform/errors';
import type { Logger } from '../platform/logger';
import { allowHttpFor } from './platform-registry';
import { performDynamicRegistration, registrationQuerySchema } from './dynamic-registration.service';

const CLOSE_SCRIPT = '/static/lti/dynreg-close.js';

/**
 * GET /lti/register/<invite>?openid_configuration=…&registration_token=… — the one-time link an
 * administrator created (npm run platform:invite) and gave the LMS for LTI Dynamic Registration;
 * the LMS appends its two parameters. Without a valid invite the request is refused before anything
 * is fetched or generated. Mounted in front of ltijs (no ltik needed). Answers with a page, shown in
 * the platform's registration window, that tells the platform to close it.
 */
export function createDynamicRegistrationRouter(deps: { config: AppConfig; logger: Logger }): Router {
  const router = express.Router();
  const querySchema = registrationQuerySchema(allowHttpFor(deps.config));

  router.get('/', (_req, res) => {
    res.setHeader('Cache-Control', 'no-store');
    res.status(403).render('lti/dynamic-registration-error', {
      title: 'Registration link needed',
      message:
        'Fieldbook registers an LMS only from a one-time registration link. Ask a Fieldbook administrator to create one (npm run platform:invite) and give that link to the LMS instead of this address.',
      error: 'dynreg_invite_required',
    });
  });

  router.get('/:invite', async (req, res) => {
    res.setHeader('Cache-Control', 'no-store');
    const query = querySchema.safeParse(req.query);
    if (!query.success) {
      res.status(400).render('lti/dynamic-registration-error', {
        title: 'Registration failed',
        message: 'This address is meant to be opened by your LMS during LTI Dynamic Registration: it needs an openid_configuration URL (and usually a registration_token).',
        error: 'dynreg_bad_request',
      });
      return;
    }
    try {
      const result = await performDynamicRegistration(
        { invite: req.params.invite, openidConfiguration: query.data.openid_configuration, registrationToken: query.data.registration_token },
        deps,
      );
      res.render('lti/dynamic-registration', {
        title: 'Fieldbook registered',
        platformName: result.platform.name,
        productFamilyCode: result.productFamilyCode,
        issuer: result.platform.issuer,
        clientId: result.platform.clientId,
        deploymentId: result.deploymentId,
        scripts: [CLOSE_SCRIPT],
      });
    } catch (err) {
      const known = err instanceof AppError && err.isExpected;
      if (!known) deps.logger.error({ err }, 'dynamic registration failed unexpectedly');
      const status = err instanceof AppError ? err.status : 500;
      const retryAfter = err instanceof AppError ? err.details?.retryAfterSeconds : undefined;
      if (typeof retryAfter === 'number') res.setHeader('Retry-After', String(retryAfter));
      res.status(status).render('lti/dynamic-registration-error', {
        title: 'Registration failed',
        message: known ? err.message : 'Fieldbook could not complete the registration because of an error on our side. Nothing was registered; please try again.',
        error: err instanceof AppError ? err.id : 'internal_error',
      });
    }
  });

  return router;
}
