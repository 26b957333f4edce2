import { SandboxAccessToken, SandboxGrade, SandboxLineItem, SandboxRejectedScore, SandboxScore, SandboxScoreHead, SandboxUsedJti } from './ags.models';
import { addSandboxPerson, createSandboxCourse, createSandboxPlacement, type AddPersonInput } from './course.service';
import { ensurePlatformKey, platformSigningKey } from './keys.service';
import { SandboxMail } from './mail.models';
import { SandboxCourse, SandboxDeepLinkSession, SandboxKey, SandboxLaunchRequest, SandboxPerson, SandboxPlacement, SandboxSetting } from './sandbox.models';
import { foldLegacyScoreHeads } from './score.service';
import { ensureSandboxSettings } from './settings.service';
import type { SandboxDeps } from './sandbox.types';

const MODELS = [
  SandboxKey,
  SandboxCourse,
  SandboxPerson,
  SandboxPlacement,
  SandboxLaunchRequest,
  SandboxDeepLinkSession,
  SandboxSetting,
  SandboxLineItem,
  SandboxScore,
  SandboxGrade,
  SandboxScoreHead,
  SandboxRejectedScore,
  SandboxAccessToken,
  SandboxUsedJti,
  SandboxMail,
];

const EMAIL = (local: string): string => `${local}@example.edu`;

/** The demo course a newcomer sees on `npm start`. Every record has a stable key, so seeding is idempotent. */
async function seedDemo(): Promise<void> {
  const course = await createSandboxCourse({ key: 'seed:course:edl610', title: 'EDL 610 — Principal Internship I', label: 'EDL610' });
  const add = (key: string, input: AddPersonInput) => addSandboxPerson(course.id, { ...input, key: `seed:person:${key}` });
  const ana = await add('ana', { name: 'Ana Ruiz', given: 'Ana', family: 'Ruiz', email: EMAIL('ana.ruiz'), roles: 'candidate' });
  await add('ben', { name: 'Ben Okafor', given: 'Ben', family: 'Okafor', email: EMAIL('ben.okafor'), roles: 'candidate' });
  await add('test-student', { name: 'Test Student', given: 'Test', family: 'Student', roles: 'test-student' });
  await add('carla', { name: 'Dr. Carla Mendes', given: 'Carla', family: 'Mendes', email: EMAIL('carla.mendes'), roles: 'faculty' });
  await add('dev', { name: 'Dev Patel', given: 'Dev', family: 'Patel', email: EMAIL('dev.patel'), roles: 'ta' });
  await add('maria', { name: 'Maria Lopez', given: 'Maria', family: 'Lopez', email: EMAIL('maria.lopez'), roles: 'mentor', menteeIds: [ana.id] });
  await add('grace', { name: 'Grace Kim', given: 'Grace', family: 'Kim', email: EMAIL('grace.kim'), roles: 'coordinator' });
  await add('omar', { name: 'Omar Haddad', given: 'Omar', family: 'Haddad', email: EMAIL('omar.haddad'), roles: 'designer' });

  await createSandboxPlacement(course.id, { key: 'seed:placement:add-activity', kind: 'deep_linking', title: 'Add a Fieldbook activity' });
  await createSandboxPlacement(course.id, { key: 'seed:placement:course-nav', kind: 'course_navigation', title: 'Fieldbook' });
  await createSandboxPlacement(null, {
    key: 'seed:placement:account-nav',
    kind: 'account_navigation',
    title: 'Fieldbook — program coordinator',
    custom: { fieldbook_role: 'coordinator' },
  });
}

/** No TTL indexes on FerretDB: expired one-time records are dropped at start-up instead. */
async function purgeExpired(): Promise<void> {
  const expired = { expiresAt: { $lt: new Date() } };
  await Promise.all([
    SandboxLaunchRequest.deleteMany(expired),
    SandboxDeepLinkSession.deleteMany(expired),
    SandboxAccessToken.deleteMany(expired),
    SandboxUsedJti.deleteMany(expired),
  ]);
}

/**
 * Makes the Sandbox usable: indexes, the platform key pair (once), settings and the demo data.
 * Idempotent and safe when several app processes call it at the same time.
 */
export async function ensureSandboxReady(deps: SandboxDeps): Promise<void> {
  // Sandbox databases made before a sub could repeat across courses have a unique index on sub alone.
  await SandboxPerson.collection.dropIndex('sub_1').catch(() => undefined);
  // Unique indexes are what make concurrent seeding safe, so wait for them.
  await Promise.all(MODELS.map((m) => m.init()));
  await ensurePlatformKey();
  await platformSigningKey();
  await ensureSandboxSettings();
  await foldLegacyScoreHeads();
  await purgeExpired();
  await seedDemo();
  deps.logger.info({ issuer: `${deps.config.publicUrl}/sandbox` }, 'sandbox: ready');
}
