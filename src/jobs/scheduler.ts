/**
 * The shared scheduler every activity kind uses (reconciliation now; reminders and digests next).
 * Runs inside the normal app process. A job run is claimed once in the database: each run of a job
 * has a slot (its interval's start), and the instance that inserts the run record `<job>@<slot>`
 * (a unique-_id insert, atomic on MongoDB and the embedded FerretDB) runs it; other instances skip
 * that slot. A run whose instance died before finishing is taken over after its lease, so no run is
 * lost across a restart. The records are the job history faculty and operators can read.
 */
import os from 'node:os';
import { randomBytes } from 'node:crypto';
import mongoose, { Schema } from 'mongoose';
import { isDatabaseAvailable } from '../platform/database/availability';
import { isDuplicateKeyError } from '../platform/errors';
import type { Logger } from '../platform/logger';

export interface Job {
  name: string;
  everyMs: number;
  /** A run still unfinished after this long is run again by whichever instance sees it. */
  leaseMs?: number;
  run(now: Date): Promise<Record<string, unknown> | void>;
}

const runSchema = new Schema(
  {
    _id: { type: String, required: true },
    job: { type: String, required: true },
    slot: { type: Date, required: true },
    owner: { type: String, required: true },
    startedAt: { type: Date, required: true },
    finishedAt: { type: Date, default: null },
    outcome: { type: String, enum: ['running', 'done', 'failed'], default: 'running' },
    result: { type: Schema.Types.Mixed, default: null },
    error: { type: String, default: null },
  },
  { collection: 'job_runs', versionKey: false },
);
export const JobRunModel = mongoose.model('JobRun', runSchema);

const processOwner = `${os.hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`;
export const jobRunId = (job: string, slot: Date) => `${job}@${slot.toISOString()}`;
const slotOf = (job: Job, now: Date) => new Date(Math.floor(now.getTime() / job.everyMs) * job.everyMs);

/**
 * Runs the job's current slot if no instance has claimed it (or its claim's lease ran out).
 * Returns 'ran', 'failed' or 'skipped' (another instance has it).
 */
export async function runJobSlot(job: Job, options: { now?: Date; owner?: string; logger?: Logger } = {}): Promise<'ran' | 'failed' | 'skipped'> {
  const now = options.now ?? new Date();
  const slot = slotOf(job, now);
  const _id = jobRunId(job.name, slot);
  const owner = options.owner ?? processOwner;
  try {
    await JobRunModel.create({ _id, job: job.name, slot, owner, startedAt: now });
  } catch (err) {
    if (!isDuplicateKeyError(err)) throw err;
    const lease = job.leaseMs ?? job.everyMs * 2;
    // Follow the slot's takeovers: a run whose instance stopped was retaken under `<id>#retake`,
    // and that one may have stopped too.
    for (let id = _id, hops = 0; hops < 10; id = `${id}#retake`, hops += 1) {
      const existing = await JobRunModel.findOne({ _id: id }).lean();
      if (!existing) return 'skipped';
      if (existing.outcome === 'failed' && existing.error === STOPPED_MID_RUN) continue;
      if (existing.outcome !== 'running' || now.getTime() - existing.startedAt.getTime() < lease) return 'skipped';
      // Its instance stopped mid-run: take the slot over (a new record id, so only one taker wins).
      return takeOver(job, existing._id, slot, now, owner, options.logger);
    }
    return 'skipped';
  }
  return execute(job, _id, now, options.logger);
}

const STOPPED_MID_RUN = 'instance stopped before finishing; run again';

async function takeOver(job: Job, staleId: string, slot: Date, now: Date, owner: string, logger?: Logger): Promise<'ran' | 'failed' | 'skipped'> {
  const retakeId = `${staleId}#retake`;
  try {
    await JobRunModel.create({ _id: retakeId, job: job.name, slot, owner, startedAt: now });
  } catch (err) {
    if (isDuplicateKeyError(err)) return 'skipped';
    throw err;
  }
  await JobRunModel.updateOne({ _id: staleId }, { $set: { outcome: 'failed', error: STOPPED_MID_RUN, finishedAt: now } });
  return execute(job, retakeId, now, logger);
}

async function execute(job: Job, runId: string, now: Date, logger?: Logger): Promise<'ran' | 'failed'> {
  try {
    const result = (await job.run(now)) ?? null;
    await JobRunModel.updateOne({ _id: runId }, { $set: { outcome: 'done', finishedAt: new Date(), result } });
    if (result && Object.values(result).some((v) => typeof v === 'number' && v > 0)) logger?.info({ job: job.name, result }, 'scheduled job ran');
    return 'ran';
  } catch (err) {
    await JobRunModel.updateOne({ _id: runId }, { $set: { outcome: 'failed', finishedAt: new Date(), error: String((err as Error)?.message ?? err).slice(0, 500) } }).catch(() => undefined);
    logger?.error({ err, job: job.name }, 'scheduled job failed');
    return 'failed';
  }
}

/** The latest runs of a job, newest first (for the pages that show when a job last ran). */
export async function lastJobRuns(job: string, limit = 5) {
  return JobRunModel.find({ job }).sort({ startedAt: -1 }).limit(limit).lean();
}

export interface SchedulerHandle {
  stop(): Promise<void>;
}

/** Checks every job's slot every `tickMs`; stop() waits for a run in progress (a safe point). */
export function startScheduler(deps: { logger: Logger; jobs: Job[]; tickMs?: number }): SchedulerHandle {
  let isStopped = false;
  let running: Promise<void> | null = null;
  const tick = () => {
    // While the database is down a run could neither be claimed nor recorded: the next tick tries.
    if (isStopped || running || !isDatabaseAvailable()) return;
    running = (async () => {
      for (const job of deps.jobs) {
        if (isStopped) break;
        await runJobSlot(job, { logger: deps.logger }).catch((err: unknown) => deps.logger.error({ err, job: job.name }, 'scheduler could not claim a job run'));
      }
    })().finally(() => {
      running = null;
    });
  };
  const timer = setInterval(tick, deps.tickMs ?? 15_000);
  timer.unref();
  return {
    async stop() {
      isStopped = true;
      clearInterval(timer);
      await running;
    },
  };
}
