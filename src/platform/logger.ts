import pino from 'pino';
import type { AppConfig } from './config';

export type Logger = pino.Logger;

/** Structured JSON logs (one line per event); secrets and LTI tokens are redacted. */
export function createLogger(config: Pick<AppConfig, 'logLevel' | 'env'>): Logger {
  return pino({
    level: config.logLevel,
    base: { service: 'fieldbook' },
    redact: {
      paths: ['req.headers.authorization', 'req.headers.cookie', 'res.headers["set-cookie"]', '*.id_token', '*.client_assertion', '*.access_token', '*.ltik'],
      censor: '[redacted]',
    },
  });
}
