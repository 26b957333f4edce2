import { keySessionDocumentsById } from './session-keys';
import type { Request, Response } from 'express';
import type { AppConfig } from '../platform/config';
import { isDatabaseAvailable } from '../platform/database/availability';
import { withoutForeignConnectionListeners } from '../platform/database/database';
import { DATABASE_RETRY_AFTER_SECONDS, databaseUnavailable } from '../platform/database-unavailable';
import type { Logger } from '../platform/logger';
import { installVerifiedPlatformLookup } from './guard/verified-platform';
import { installKeyGeneration } from './keys/key-generation';
import { installLtikKeyObject } from './keys/ltik-key';
import { installSigningKeyLookup } from './keys/signing-keys';
import { lti } from './ltijs';

export const LTI_MOUNT = '/lti';
export const LTI_ROUTES = { login: '/login', launch: '/launch', keys: '/keys', register: '/register' } as const;

export function toolUrls(config: Pick<AppConfig, 'publicUrl'>) {
  const base = `${config.publicUrl}${LTI_MOUNT}`;
  return {
    login: `${base}${LTI_ROUTES.login}`,
    launch: `${base}${LTI_ROUTES.launch}`,
    keys: `${base}${LTI_ROUTES.keys}`,
    register: `${base}${LTI_ROUTES.register}`,
  };
}

let isSetUp = false;

/**
 * Sets ltijs up once per process (ltijs keeps one shared Provider and throws on
 * a second setup) in serverless mode, on the mongoose connection already open.
 */
export async function setupLti(config: AppConfig, logger: Logger, databaseUri: string): Promise<void> {
  if (isSetUp) return;
  installKeyGeneration();
  installSigningKeyLookup(config.lti.encryptionKey);
  installLtikKeyObject(config.lti.encryptionKey);
  lti.setup(
    config.lti.encryptionKey,
    { url: databaseUri },
    {
      appRoute: LTI_ROUTES.launch,
      loginRoute: LTI_ROUTES.login,
      keysetRoute: LTI_ROUTES.keys,
      // Our own dynamic registration is mounted in front of ltijs at /lti/register;
      // ltijs's (which drops the registration token) is parked on an unused path.
      dynRegRoute: '/ltijs-dynamic-registration-disabled',
      devMode: false,
      tokenMaxAge: config.lti.tokenMaxAgeSeconds,
      cors: false,
      cookies: { secure: config.lti.cookieSecure, sameSite: config.lti.cookieSameSite },
    },
  );
  // ltijs's own reconnect logic on the shared connection is removed again (database.ts says why).
  await withoutForeignConnectionListeners(() => lti.deploy({ serverless: true, silent: true }).then(() => undefined));
  installVerifiedPlatformLookup(lti);
  // Session documents read and written by _id: no collection scan per request on the embedded database.
  keySessionDocumentsById(lti);
  // ltijs validates the session; the pages themselves are the app's (launch.routes.ts), so ltijs
  // hands every valid launch on instead of answering it.
  lti.onConnect((_token, _req, _res, next) => next());
  lti.onDeepLinking((_token, _req, _res, next) => next());
  const sessionError = (status: number, id: string, message: string) => (req: Request, res: Response) => {
    // ltijs calls a session it could not read from the database invalid: while the database is down, say that instead.
    if (!isDatabaseAvailable()) {
      const down = databaseUnavailable();
      res.status(503).setHeader('Retry-After', String(DATABASE_RETRY_AFTER_SECONDS));
      if (req.accepts(['html', 'json']) === 'json') return void res.json({ error: down.id, message: down.message });
      return void res.render('error', { title: 'Error 503', status: 503, error: down.id, message: down.message });
    }
    res.status(status).render('error', { title: `Error ${status}`, status, error: id, message });
  };
  lti.onInvalidToken(sessionError(401, 'invalid_lti_launch', 'This launch could not be verified. Please open Fieldbook again from your course.'));
  lti.onSessionTimeout(sessionError(401, 'lti_session_expired', 'Your Fieldbook session has ended. Please open it again from your course.'));
  lti.onUnregisteredPlatform(sessionError(400, 'unregistered_platform', 'This learning platform is not registered with Fieldbook. Ask your LMS administrator to register it.'));
  lti.onInactivePlatform(sessionError(401, 'inactive_platform', 'This learning platform registration is not active yet.'));
  isSetUp = true;
  logger.info('ltijs ready (serverless)');
}
