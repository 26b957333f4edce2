import { lti, type AgsScore, type LtiPlatform } from '../lti/ltijs';
import { registrationsFor, type CachedRegistration } from '../lti/platform-registry';

export const AGS_SCORE_SCOPE = 'https://purl.imsglobal.org/spec/lti-ags/scope/score';
const SCORE_MEDIA_TYPE = 'application/vnd.ims.lis.v1.score+json';

/** The platform answered the score POST with an error status. */
export class PlatformAnswerError extends Error {
  constructor(
    readonly status: number,
    readonly body: string,
    readonly retryAfter: string | null,
  ) {
    super(`The LMS answered ${status}`);
    this.name = 'PlatformAnswerError';
  }
}

/** Fieldbook cannot send to this platform at all (not registered, not active). */
export class PlatformUnusableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PlatformUnusableError';
  }
}

export class SendTimeoutError extends Error {
  constructor(readonly timeoutMs: number) {
    super(`The LMS did not answer within ${Math.round(timeoutMs / 100) / 10} s`);
    this.name = 'SendTimeoutError';
  }
}

/** AGS: the scores endpoint is the line item URL + /scores, keeping its query (Moodle's ?type_id=). */
export function scoresUrl(lineItemUrl: string): string {
  const [base, query] = lineItemUrl.split('?', 2);
  return `${base.replace(/\/$/, '')}/scores${query ? `?${query}` : ''}`;
}

function withDeadline<T>(work: Promise<T>, signal: AbortSignal, timeoutMs: number): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    if (signal.aborted) return reject(new SendTimeoutError(timeoutMs));
    const onAbort = () => reject(new SendTimeoutError(timeoutMs));
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

type AccessToken = Awaited<ReturnType<LtiPlatform['platformAccessToken']>>;

const tokensInFlight = new Map<string, Promise<AccessToken>>();

/**
 * This process's copy of the score token per registration. ltijs keeps the token in its
 * (encrypted) accesstokens collection, a lookup and a decryption per send otherwise; a copy is
 * used for at most TOKEN_MEMO_MS (and half the token's lifetime), and dropped on a 401.
 */
const TOKEN_MEMO_MS = 60_000;
const tokenMemo = new Map<string, { token: AccessToken; storedAt: number; until: number }>();

/** Forgets this process's copies of score tokens (ltijs's stored ones stay). */
export function forgetScoreTokenCopies(): void {
  tokenMemo.clear();
}

/**
 * ltijs keeps one access token per scope (an hour), but callers that find none at the same
 * moment each ask the platform for one: the sender's concurrent sends share one request.
 */
function accessToken(platform: LtiPlatform, key: string): Promise<AccessToken> {
  const memo = tokenMemo.get(key);
  if (memo && memo.until > Date.now()) return Promise.resolve(memo.token);
  const pending = tokensInFlight.get(key);
  if (pending) return pending;
  const request = platform
    .platformAccessToken(AGS_SCORE_SCOPE)
    .then((token) => {
      const lifetimeMs = Number.isFinite(token.expires_in) && token.expires_in > 0 ? (token.expires_in * 1000) / 2 : 0;
      const storedAt = Date.now();
      tokenMemo.set(key, { token, storedAt, until: storedAt + Math.min(TOKEN_MEMO_MS, lifetimeMs) });
      return token;
    })
    .finally(() => tokensInFlight.delete(key));
  tokensInFlight.set(key, request);
  return request;
}

/**
 * The registration to send to, from the registry's short-lived copy (a send per grade would
 * otherwise read ltijs's platforms and platformstatuses collections each time); read afresh
 * before refusing, so a copy never refuses what the database accepts.
 */
async function registrationFor(iss: string, clientId: string): Promise<CachedRegistration | undefined> {
  const find = (list: CachedRegistration[]) => list.find((r) => r.clientId === clientId);
  const cached = find(await registrationsFor(iss));
  if (cached?.active) return cached;
  return find(await registrationsFor(iss, { fresh: true }));
}

/**
 * Forgets ltijs's cached score token after the platform answered 401 to it (revoked, developer
 * key reset): otherwise ltijs hands out the dead token until its hour is up. Only a token stored
 * no later than `usedAt` is deleted, so a send that got its 401 after another send already fetched
 * a fresh token does not throw the fresh one away (ltijs's records carry createdAt; a record
 * without one is treated as old).
 */
async function discardCachedToken(platform: LtiPlatform, key: string, usedAt: Date): Promise<void> {
  // A copy fetched after this send began (another send's fresh token) is kept.
  if ((tokenMemo.get(key)?.storedAt ?? Infinity) <= usedAt.getTime()) tokenMemo.delete(key);
  await lti.Database.Delete('accesstoken', {
    platformUrl: await platform.platformUrl(),
    clientId: await platform.platformClientId(),
    scopes: AGS_SCORE_SCOPE,
    $or: [{ createdAt: { $lte: usedAt } }, { createdAt: { $exists: false } }],
  });
}

/**
 * POSTs one score. ltijs's Grade.submitScore overwrites `timestamp` with the send time and its
 * HTTP client has no timeout, so the POST is ours; the access token still comes from ltijs's
 * per-scope cache (the same scope string submitScore uses, so the cached token is shared).
 * A 401 means the platform no longer honours the cached token: it is discarded and the score
 * sent once more with a freshly requested one (a second 401 is left to the caller's retry).
 * The whole send (tokens + POSTs) is bounded by timeoutMs and the POST is aborted at the
 * deadline, so a timed-out score cannot land later behind a newer one.
 */
export async function postScore(target: { iss: string; clientId: string; lineItemUrl: string }, score: AgsScore, timeoutMs: number): Promise<void> {
  const signal = AbortSignal.timeout(timeoutMs);
  const registration = await registrationFor(target.iss, target.clientId);
  if (!registration) throw new PlatformUnusableError('This LMS is no longer registered with Fieldbook.');
  if (!registration.active) throw new PlatformUnusableError('This LMS registration is not active.');
  const { platform } = registration;
  const key = `${target.iss}\n${target.clientId}`;

  const send = async (): Promise<{ res: Response; usedAt: Date }> => {
    const token = await withDeadline(accessToken(platform, key), signal, timeoutMs);
    const usedAt = new Date();
    try {
      const res = await fetch(scoresUrl(target.lineItemUrl), {
        method: 'POST',
        headers: { Authorization: `${token.token_type} ${token.access_token}`, 'Content-Type': SCORE_MEDIA_TYPE, Accept: 'application/json' },
        body: JSON.stringify(score),
        signal,
      });
      return { res, usedAt };
    } catch (err) {
      if (signal.aborted) throw new SendTimeoutError(timeoutMs);
      throw err;
    }
  };

  const first = await send();
  let res = first.res;
  if (res.status === 401) {
    await res.arrayBuffer().catch(() => undefined);
    await withDeadline(discardCachedToken(platform, key, first.usedAt), signal, timeoutMs);
    res = (await send()).res;
  }
  if (res.ok) {
    await res.arrayBuffer().catch(() => undefined);
    return;
  }
  const body = await res.text().catch(() => '');
  throw new PlatformAnswerError(res.status, body, res.headers.get('retry-after'));
}

export type SendFailure =
  | { kind: 'retry'; reason: string; retryAfterMs?: number }
  | { kind: 'refused'; reason: string; status?: number }
  | { kind: 'stale-timestamp'; reason: string; status: number };

/** The platform's own words: Canvas `{errors:{message}}` / `{errors:[{message}]}`, Moodle `{message}`, or text. */
function platformMessage(body: unknown): string {
  if (body === undefined || body === null || body === '') return '';
  let parsed: unknown = body;
  if (typeof body === 'string') {
    try {
      parsed = JSON.parse(body);
    } catch {
      return body.replace(/<[^>]*>/g, ' ').replace(/\s+/g, ' ').trim().slice(0, 300);
    }
  }
  const p = parsed as { errors?: { message?: string } | Array<{ message?: string }>; message?: string; error?: string; reason?: string };
  const errors = Array.isArray(p?.errors) ? p.errors.map((e) => e?.message).filter(Boolean).join('; ') : p?.errors?.message;
  return String(errors || p?.message || p?.reason || p?.error || JSON.stringify(parsed)).slice(0, 300);
}

function parseRetryAfter(value: unknown, now: number): number | undefined {
  if (typeof value !== 'string' || !value.trim()) return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/**
 * Sorts a failed send: the platform busy, slow or unreachable → retry later; a refusal of this
 * score (Canvas 422 for a non-student, Moodle 400, other 4xx) → refused with its reason; a
 * 400/409 about the timestamp → stale, re-stamp and send again.
 */
export function classifySendFailure(err: unknown, now = Date.now()): SendFailure {
  if (err instanceof SendTimeoutError) return { kind: 'retry', reason: err.message };
  if (err instanceof PlatformUnusableError) return { kind: 'refused', reason: err.message };
  let status: number | undefined;
  let body: unknown;
  let retryAfter: unknown;
  if (err instanceof PlatformAnswerError) {
    ({ status, body, retryAfter } = err);
  } else {
    // ltijs's token request throws got errors.
    const e = err as { response?: { statusCode?: number; body?: unknown; headers?: Record<string, unknown> } };
    status = e?.response?.statusCode;
    body = e?.response?.body;
    retryAfter = e?.response?.headers?.['retry-after'];
  }
  if (!status) {
    const message = (err as { message?: string })?.message;
    return { kind: 'retry', reason: `The LMS could not be reached${message ? ` (${message})` : ''}` };
  }
  const said = platformMessage(body);
  const reason = `The LMS answered ${status}${said ? `: ${said}` : ''}`;
  if (status === 429) return { kind: 'retry', reason, retryAfterMs: parseRetryAfter(retryAfter, now) };
  if (status >= 500 || status === 408 || status === 401) return { kind: 'retry', reason };
  if ((status === 400 || status === 409) && /timestamp/i.test(said)) return { kind: 'stale-timestamp', reason, status };
  return { kind: 'refused', reason, status };
}
