import { ActivityModel, type Activity } from '../../src/activities/activity.model';
import { computeProgress } from '../../src/practicum/progress.service';
import { PracticumProgressModel } from '../../src/practicum/practicum-progress.model';
import { effectiveRules, readSettings } from '../../src/practicum/practicum-settings';
import { scoreToShow } from '../../src/practicum/practicum-grade';
import { itemsAsEntries, progressId, type ProgressItem } from '../../src/practicum/progress-store';
import { freePort, startServerProcess, type ServerProcess } from '../helpers/server-process';
import { testServer } from '../helpers/test-server';

export interface Instance {
  origin: string;
  proc: ServerProcess;
}

/**
 * `npm start` as a process on this test run's database (so the test creates Sandbox courses and
 * checks records with its own models). `publicUrl` is the address every instance behind one load
 * balancer shares: the Sandbox's issuer and the tool's redirect URI are built from it.
 */
export async function startInstance(options: { port?: number; publicUrl?: string; env?: Record<string, string> } = {}): Promise<Instance> {
  const port = options.port ?? (await freePort());
  const origin = `http://127.0.0.1:${port}`;
  const proc = await startServerProcess({
    PORT: String(port),
    PUBLIC_URL: options.publicUrl ?? origin,
    MONGODB_URI: testServer().fieldbook.database.uri,
    // Every process on one database reads the others' ltijs keys: one encryption key for all.
    LTI_ENCRYPTION_KEY: testServer().config.lti.encryptionKey,
    SANDBOX_ENABLED: 'true',
    LTI_RATE_LIMIT_PER_MINUTE: '0',
    VIEW_CACHE: 'true',
    LOG_LEVEL: 'warn',
    ...options.env,
  });
  return { origin, proc };
}

/** SIGTERM, and the exit code (SIGKILL after 20 s). */
export async function stopInstance(instance: Instance): Promise<number | null> {
  const { child } = instance.proc;
  if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
  const code = await instance.proc.exited;
  clearTimeout(timer);
  return code;
}

/** The completion grade the candidate's progress document says the gradebook must show. */
export async function expectedScore(activityId: string, candidateSub: string, today: string): Promise<number | null> {
  const activity = (await ActivityModel.findOne({ _id: activityId }).lean()) as Activity;
  const doc = (await PracticumProgressModel.findOne({ _id: progressId(activityId, candidateSub) }).lean()) as { items?: Record<string, ProgressItem> } | null;
  const settings = readSettings(activity.settings);
  const summary = computeProgress(itemsAsEntries(doc?.items ?? {}), effectiveRules(settings), { start: settings.termStart, end: settings.termEnd }, today);
  return scoreToShow(settings, summary, activity.pointsPossible);
}
