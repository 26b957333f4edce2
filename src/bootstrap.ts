import fs from 'node:fs';
import path from 'node:path';
import type { Express } from 'express';
import { createApp, type AppDeps } from './app';
import { upgradeActivityRecords } from './activities/registry';
import { upgradeGradeOutbox } from './grading/outbox-delivery';
import { registerPlatform } from './lti/platform-registry';
import { setupLti } from './lti/provider';
import type { AppConfig } from './platform/config';
import { startDatabase, type DatabaseHandle } from './platform/database/database';
import type { Logger } from './platform/logger';
import { createMailer, swappableMailer, type SwappableMailer } from './platform/mailer';
import { PROJECT_ROOT } from './platform/paths';
import { recordSandboxMail } from './sandbox/mail.service';
import { ensureSandboxReady } from './sandbox/sandbox.service';
import { sandboxIdentity } from './sandbox/sandbox.identity';

const { version } = JSON.parse(fs.readFileSync(path.join(PROJECT_ROOT, 'package.json'), 'utf8')) as { version: string };

export interface Fieldbook {
  app: Express;
  database: DatabaseHandle;
  lifecycle: AppDeps['lifecycle'];
  /** The one outgoing mailer (SMTP, or the Sandbox outbox in development and tests). */
  mailer: SwappableMailer;
}

/**
 * Everything the listener and the test harness share: database, ltijs, the
 * Sandbox LMS (registered with the tool, in development and tests), the app.
 */
export async function startFieldbook(config: AppConfig, logger: Logger): Promise<Fieldbook> {
  const database = await startDatabase(config, logger);
  try {
    await setupLti(config, logger, database.uri);
    if (config.sandbox.enabled) {
      await ensureSandboxReady({ config, logger });
      const sandbox = sandboxIdentity(config);
      await registerPlatform({
        issuer: sandbox.issuer,
        name: sandbox.name,
        clientId: sandbox.clientId,
        authEndpoint: sandbox.authEndpoint,
        tokenEndpoint: sandbox.tokenEndpoint,
        jwksUrl: sandbox.jwksUrl,
        deploymentIds: [sandbox.deploymentId],
        registeredBy: 'sandbox',
      });
    }
    const lifecycle = { isShuttingDown: false, startedAt: new Date(), version };
    // Without SMTP, development and test mail lands in the Sandbox outbox (/sandbox/mail).
    const outbox = config.sandbox.enabled && config.env !== 'production' ? recordSandboxMail : undefined;
    const mailer = swappableMailer(createMailer(config, logger, { outbox }));
    const upgraded = { ...(await upgradeActivityRecords()), 'grade-outbox': await upgradeGradeOutbox() };
    if (Object.values(upgraded).some((n) => n > 0)) logger.info({ upgraded }, 'records of earlier versions brought up to date');
    const app = createApp({ config, logger, lifecycle, mailer });
    return { app, database, lifecycle, mailer };
  } catch (err) {
    await database.stop().catch(() => undefined);
    throw err;
  }
}
