import { AppError } from '../../platform/errors';

/**
 * Launch and login refusals. Each has a stable id (logs, tests, support) and a
 * message safe to show inside the LMS iframe; internals never reach the page.
 */
const relaunch = 'Please open Fieldbook again from your course.';

export const guardErrors = {
  loginInvalid: (detail: string) => new AppError(400, 'lti_login_invalid', `This login request is not valid (${detail}). ${relaunch}`),
  unknownIssuer: () => new AppError(400, 'lti_unknown_issuer', 'This learning platform is not registered with Fieldbook. Ask your LMS administrator to register it.'),
  unknownClient: () => new AppError(400, 'lti_unknown_client', 'This learning platform registration (client id) is not known to Fieldbook.'),
  ambiguousClient: () => new AppError(400, 'lti_client_id_required', 'Several registrations exist for this platform; the login must name its client_id.'),
  inactivePlatform: () => new AppError(403, 'lti_inactive_platform', 'This learning platform registration is not active yet.'),
  unknownDeployment: () => new AppError(400, 'lti_unknown_deployment', 'This deployment of Fieldbook is not registered. Ask your LMS administrator to register it.'),
  badTargetLinkUri: () => new AppError(400, 'lti_bad_target_link_uri', 'The launch does not point at this Fieldbook.'),
  rateLimited: () => new AppError(429, 'lti_rate_limited', 'Too many launches from your network. Please wait a minute and try again.'),
  launchInvalid: (id: string, detail: string) => new AppError(400, id, `This launch is not valid (${detail}). ${relaunch}`),
  launchUnverified: (id: string, detail: string) => new AppError(401, id, `This launch could not be verified (${detail}). ${relaunch}`),
  replay: () => new AppError(409, 'lti_launch_replayed', `This launch was already used. ${relaunch}`),
  keysUnavailable: () =>
    new AppError(424, 'lti_platform_keys_unavailable', `Your learning platform's signing keys could not be fetched right now. Please try again in a moment.`),
  storeUnavailable: () => new AppError(503, 'lti_login_store_unavailable', 'Fieldbook could not start the login. Please try again.', false),
};
