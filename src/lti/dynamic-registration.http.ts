import { AppError } from '../platform/errors';

/** Talking to a platform during dynamic registration: bounded in time and size, no internals leaked. */

const FETCH_TIMEOUT_MS = 5000;
const MAX_RESPONSE_BYTES = 256 * 1024;

export class DynamicRegistrationError extends AppError {
  constructor(status: number, id: string, message: string) {
    super(status, id, message);
    this.name = 'DynamicRegistrationError';
  }
}

interface FetchJsonOptions {
  method: 'GET' | 'POST';
  bearer?: string;
  body?: unknown;
  what: string;
}

/** Bounded in time and size; failures become DynamicRegistrationErrors without platform internals. */
export async function fetchJson(url: string, options: FetchJsonOptions): Promise<{ status: number; json: unknown }> {
  const headers: Record<string, string> = { Accept: 'application/json' };
  if (options.bearer) headers.Authorization = `Bearer ${options.bearer}`;
  if (options.body !== undefined) headers['Content-Type'] = 'application/json';
  let response: Response;
  try {
    response = await fetch(url, {
      method: options.method,
      headers,
      body: options.body === undefined ? undefined : JSON.stringify(options.body),
      redirect: options.method === 'GET' ? 'follow' : 'error',
      signal: AbortSignal.timeout(FETCH_TIMEOUT_MS),
    });
  } catch {
    throw new DynamicRegistrationError(502, 'dynreg_platform_unreachable', `The platform could not be reached to ${options.what} (no answer within ${FETCH_TIMEOUT_MS / 1000} s).`);
  }
  const text = await readLimited(response, options.what);
  let json: unknown = undefined;
  try {
    json = text.length > 0 ? JSON.parse(text) : undefined;
  } catch {
    json = undefined;
  }
  return { status: response.status, json };
}

async function readLimited(response: Response, what: string): Promise<string> {
  const declared = Number(response.headers.get('content-length') ?? '0');
  if (declared > MAX_RESPONSE_BYTES || !response.body) {
    await response.body?.cancel().catch(() => undefined);
    if (declared > MAX_RESPONSE_BYTES) throw new DynamicRegistrationError(502, 'dynreg_response_too_large', `The platform's answer when asked to ${what} is too large.`);
    return '';
  }
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      size += value.byteLength;
      if (size > MAX_RESPONSE_BYTES) {
        await reader.cancel().catch(() => undefined);
        throw new DynamicRegistrationError(502, 'dynreg_response_too_large', `The platform's answer when asked to ${what} is too large.`);
      }
      chunks.push(value);
    }
  } catch (err) {
    if (err instanceof DynamicRegistrationError) throw err;
    throw new DynamicRegistrationError(502, 'dynreg_platform_unreachable', `The platform stopped answering when asked to ${what}.`);
  }
  return Buffer.concat(chunks).toString('utf8');
}
