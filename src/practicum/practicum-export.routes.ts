/**
 * Exports of the practicum log (under /lti, through the activity pipeline): the CSV of every entry
 * the caller may see, and one candidate's hour log as a printable page and as a PDF.
 */
import { Router, type Response } from 'express';
import { z } from 'zod';
import type { Activity } from '../activities/activity.model';
import { activityRoute } from '../lti/activity-pipeline';
import type { Caller } from '../lti/caller';
import { safeFileName } from '../platform/csv';
import { badRequest } from '../platform/errors';
import { displayZone, type DisplayZone } from '../platform/time-zone';
import { renderHourLogPdf } from './hour-log.pdf';
import { practicumCsv } from './practicum-export.csv';
import { buildHourLog, exportRows, type HourLog } from './practicum-export.service';
import { todayIso } from './practicum.page';
import { authorizeCandidateLog, viewFor, type PracticumActor } from './practicum.policy';
import { PRACTICUM } from './practicum.routes';

const EVERYONE = ['candidate', 'faculty', 'mentor', 'coordinator', 'designer'] as const;

export const exportQuerySchema = z.object({
  candidate: z.string().trim().min(1).max(255).optional(),
  // The viewer's zone (added to the links by public/js/export-links.js); anything else is ignored.
  tz: z.string().max(64).optional(),
});

/** The viewer's zone: their browser's, else the LMS custom parameter `timezone` (Canvas: $Person.address.timezone), else UTC. */
export function zoneFor(caller: Caller | null, tz: string | undefined): DisplayZone {
  return displayZone(tz, caller?.custom?.timezone);
}

export function sendDownload(res: Response, body: string | Buffer, type: string, fileName: string): void {
  res.setHeader('Content-Type', type);
  res.setHeader('Content-Disposition', `attachment; filename="${fileName}"`);
  res.setHeader('Cache-Control', 'no-store');
  res.setHeader('X-Content-Type-Options', 'nosniff');
  res.send(body);
}

export const hourLogFileName = (log: HourLog, now: Date) => safeFileName(`${log.activityTitle}-hour-log-${log.candidateName}-${todayIso(now)}`, '.pdf');

/** The view model of the printable page; `links` are the page's own download and back links. */
export function presentHourLog(log: HourLog, links: { pdf: string; back: string; backLabel: string }) {
  return {
    title: `Hour log — ${log.candidateName}`,
    layout: 'document',
    scripts: ['/static/js/hour-log-print.js'],
    log,
    links,
    hasEntries: log.entries.length > 0,
    zoneNote: log.zone.isKnown ? `Times are in ${log.zone.zone}.` : 'Times are in UTC (your time zone was not known).',
  };
}

/** Which candidate a request names: a candidate may leave it out (their own log); others must name one. */
function candidateOf(caller: Caller, activity: Activity, named: string | undefined): string {
  if (named) return named;
  if (viewFor(caller, activity) === 'candidate') return caller.sub;
  throw badRequest('practicum_candidate_missing', 'Choose the candidate whose hour log you want.');
}

export function createPracticumExportRouter(): Router {
  const router = Router();
  const spec = { kind: PRACTICUM, roles: [...EVERYONE], schema: exportQuerySchema, input: 'query' as const };

  router.get(
    '/practicum/export.csv',
    activityRoute(spec, async ({ caller, activity, input }, _req, res) => {
      const zone = zoneFor(caller, input.tz);
      const now = new Date();
      // entryScope (inside) refuses a caller who may see no entries with 403.
      const rows = await exportRows(caller, activity, zone, todayIso(now));
      sendDownload(res, practicumCsv(rows, zone), 'text/csv; charset=utf-8', safeFileName(`${activity.title}-hours-${todayIso(now)}`, '.csv'));
    }),
  );

  const loadLog = async (caller: Caller, activity: Activity, input: z.infer<typeof exportQuerySchema>) => {
    const candidateSub = candidateOf(caller, activity, input.candidate);
    const actor: PracticumActor = { kind: 'lti', caller };
    authorizeCandidateLog(actor, activity, candidateSub);
    return { candidateSub, log: await buildHourLog(actor, activity, candidateSub, zoneFor(caller, input.tz), new Date()) };
  };

  router.get(
    '/practicum/hour-log',
    activityRoute(spec, async ({ caller, activity, ltik, input }, _req, res) => {
      const { candidateSub, log } = await loadLog(caller, activity, input);
      const query = new URLSearchParams({ ltik, aid: String(activity._id), candidate: candidateSub, ...(input.tz ? { tz: input.tz } : {}) });
      const back = new URLSearchParams({ ltik, aid: String(activity._id) });
      res.setHeader('Cache-Control', 'no-store');
      res.render('practicum/hour-log', presentHourLog(log, { pdf: `/lti/practicum/hour-log.pdf?${query}`, back: `/lti/practicum?${back}`, backLabel: 'Back to the practicum log' }));
    }),
  );

  router.get(
    '/practicum/hour-log.pdf',
    activityRoute(spec, async ({ caller, activity, input }, _req, res) => {
      const { log } = await loadLog(caller, activity, input);
      sendDownload(res, await renderHourLogPdf(log), 'application/pdf', hourLogFileName(log, new Date()));
    }),
  );

  return router;
}
