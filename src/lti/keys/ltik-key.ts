/**
 * ltijs signs and verifies every ltik (the session token on each request) with jsonwebtoken and
 * the encryption key as a string. jsonwebtoken first tries to read a string key as a PEM public or
 * private key — which throws for a secret, with a stack trace — before taking it as a secret: 1.4 ms
 * of CPU per request, about 6 % of the busy time of a deadline burst (profiled in bench/load.ts).
 * Handing it the same secret as a KeyObject skips the attempt; the key, algorithm and checks are
 * exactly those jsonwebtoken would arrive at itself (createSecretKey of the string's bytes).
 */
import { createSecretKey, type KeyObject } from 'node:crypto';
// eslint-disable-next-line @typescript-eslint/no-require-imports
const jwt = require('jsonwebtoken') as { sign: (...args: unknown[]) => unknown; verify: (...args: unknown[]) => unknown };

/** The secrets swapped (one in production; tests may add their own), with their KeyObjects. */
const secrets = new Map<string, KeyObject>();

/** Before ltijs signs its first ltik; only the ltik secret is swapped, every other key passes as given. */
export function installLtikKeyObject(secret: string): void {
  const isFirst = secrets.size === 0;
  secrets.set(secret, createSecretKey(Buffer.from(secret)));
  if (!isFirst) return;
  const { sign, verify } = jwt;
  const swap = (key: unknown) => (typeof key === 'string' ? (secrets.get(key) ?? key) : key);
  jwt.sign = (payload: unknown, key: unknown, ...rest: unknown[]) => sign(payload, swap(key), ...rest);
  jwt.verify = (token: unknown, key: unknown, ...rest: unknown[]) => verify(token, swap(key), ...rest);
}
