import type { RequestHandler } from 'express';
import { guardErrors } from './guard.errors';

/** RFC 6265 cookie-name characters: ltijs names its login cookie `state<STATE>`. */
const COOKIE_NAME_CHARACTERS = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]{1,512}$/;

/**
 * Refuses a body `state` that could never name a login cookie. When ltijs turns a session down it
 * clears the cookie `state` + body.state; for any other value (a space, a bracket, an object)
 * res.clearCookie throws inside its async middleware, so the request is never answered — and the
 * unhandled rejection ends the process under Node's default. Every state ltijs issues is hex, so
 * nothing a real login sends is refused.
 */
export const refuseUnusableState: RequestHandler = (req, _res, next) => {
  const state = (req.body as Record<string, unknown> | undefined)?.state;
  if (state === undefined || state === '' || (typeof state === 'string' && COOKIE_NAME_CHARACTERS.test(state))) return next();
  next(guardErrors.launchInvalid('lti_state_invalid', 'state'));
};
