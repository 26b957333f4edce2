import type { AppConfig } from '../platform/config';
import type { Logger } from '../platform/logger';
import { installVerifiedPlatformLookup } from './guard/verified-platform';
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
  await lti.deploy({ serverless: true, silent: true });
  installVerifiedPlatformLookup(lti);
  isSetUp = true;
  logger.info('ltijs ready (serverless)');
}
