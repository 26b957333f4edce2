import { createHash } from 'node:crypto';
import { Types } from 'mongoose';
import { withTransientRetry } from '../platform/transient';
import { PracticumProgressModel } from './practicum-progress.model';
import { PracticumSiteModel, siteKey } from './practicum-site.model';
import type { EntryForm } from './practicum.schemas';
import { progressId, type ProgressItem } from './progress-store';

export interface EntrySite {
  siteId: unknown;
  name: string;
  district: string;
  gradeBand: string | null;
  populations: string[];
}

/** A site offered for reuse on the entry form. */
export interface RememberedSite {
  _id: Types.ObjectId;
  name: string;
  district: string;
  gradeBand: string | null;
  populations: string[];
}

const MAX_REMEMBERED = 50;

/**
 * The sites a candidate can reuse are those of their own entries, derived from the entries (or
 * their progress items) already at hand — not kept in a collection of their own: listing one
 * candidate's documents there is a query by candidate, which the embedded database answers by
 * reading every candidate's sites, on every page a save renders. `entries` come newest first.
 */
export function sitesOfEntries(iss: string, candidateSub: string, entries: { site?: Partial<ProgressItem['site']> | null }[], limit = MAX_REMEMBERED): RememberedSite[] {
  const sites = new Map<string, RememberedSite>();
  for (const e of entries) {
    const name = e.site?.name?.trim() ?? '';
    if (!name) continue;
    const district = e.site?.district ?? '';
    const key = siteKey(name, district);
    if (!sites.has(key)) sites.set(key, { _id: siteIdOf(iss, candidateSub, key), name, district, gradeBand: e.site?.gradeBand ?? null, populations: [...(e.site?.populations ?? [])] });
    if (sites.size === limit) break;
  }
  return [...sites.values()];
}

/**
 * The site typed on the form, or (when only a remembered site was picked) that site's details:
 * from the candidate's progress items (one read by _id), else a site remembered by an earlier
 * version in practicum_sites.
 */
export async function resolveSite(activityId: unknown, iss: string, candidateSub: string, form: EntryForm): Promise<EntrySite> {
  if (form.siteId && !form.siteName) {
    const progress = (await withTransientRetry(() => PracticumProgressModel.findOne({ _id: progressId(activityId, candidateSub) }, { items: 1 }).lean())) as { items?: Record<string, ProgressItem> | null } | null;
    const picked = sitesOfEntries(iss, candidateSub, Object.values(progress?.items ?? {}), Infinity).find((s) => String(s._id) === form.siteId);
    const site = picked ?? (await withTransientRetry(() => PracticumSiteModel.findOne({ _id: form.siteId, iss, candidateSub }).lean()));
    if (site) return { siteId: site._id, name: site.name, district: site.district ?? '', gradeBand: site.gradeBand ?? null, populations: site.populations ?? [] };
  }
  return { siteId: null, name: form.siteName, district: form.siteDistrict, gradeBand: form.gradeBand ?? null, populations: [...new Set(form.populations)] };
}

/** The _id of a candidate's remembered site, derived from who and where (stable across pages). */
export function siteIdOf(iss: string, candidateSub: string, key: string): Types.ObjectId {
  return new Types.ObjectId(createHash('sha256').update(JSON.stringify([iss, candidateSub, key])).digest().subarray(0, 12));
}

/**
 * Sites remembered by earlier versions (one document per site in practicum_sites, no longer
 * written): offered to a candidate who has no entry in this activity yet. A query by candidate —
 * a scan on the embedded database — so only for that first page.
 */
export async function listLegacySites(iss: string, candidateSub: string) {
  return PracticumSiteModel.find({ iss, candidateSub }).sort({ lastUsedAt: -1 }).limit(MAX_REMEMBERED).lean();
}
