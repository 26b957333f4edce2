import { createHash } from 'node:crypto';
import { Types } from 'mongoose';
import { isDuplicateKeyError } from '../platform/errors';
import { PracticumSiteModel, siteKey } from './practicum-site.model';
import type { EntryForm } from './practicum.schemas';

export interface EntrySite {
  siteId: unknown;
  name: string;
  district: string;
  gradeBand: string | null;
  populations: string[];
}

/** The site typed on the form, or (when only a remembered site was picked) that site's details. */
export async function resolveSite(iss: string, candidateSub: string, form: EntryForm): Promise<EntrySite> {
  if (form.siteId && !form.siteName) {
    const site = await PracticumSiteModel.findOne({ _id: form.siteId, iss, candidateSub }).lean();
    if (site) return { siteId: site._id, name: site.name, district: site.district ?? '', gradeBand: site.gradeBand ?? null, populations: site.populations ?? [] };
  }
  return { siteId: null, name: form.siteName, district: form.siteDistrict, gradeBand: form.gradeBand ?? null, populations: [...new Set(form.populations)] };
}

/**
 * The _id of a candidate's remembered site, derived from who and where: the write of every entry
 * with a site then finds its document by _id alone (a filter on iss, candidateSub and key scans
 * the whole collection on the embedded database, inside a write, on every save at a deadline).
 */
export function siteIdOf(iss: string, candidateSub: string, key: string): Types.ObjectId {
  return new Types.ObjectId(createHash('sha256').update(JSON.stringify([iss, candidateSub, key])).digest().subarray(0, 12));
}

/** Remembers (or refreshes) a site for the candidate's next entries. */
export async function rememberSite(iss: string, candidateSub: string, site: EntrySite): Promise<void> {
  const key = siteKey(site.name, site.district);
  const _id = siteIdOf(iss, candidateSub, key);
  const fields = { name: site.name, district: site.district, gradeBand: site.gradeBand, populations: site.populations, lastUsedAt: new Date() };
  try {
    await PracticumSiteModel.updateOne({ _id }, { $set: fields, $setOnInsert: { iss, candidateSub, key } }, { upsert: true });
  } catch (err) {
    if (!isDuplicateKeyError(err)) throw err;
    // Another save inserted it first, or a site remembered before the _id was derived holds the key.
    const updated = await PracticumSiteModel.updateOne({ _id }, { $set: fields });
    if (updated.matchedCount === 0) await PracticumSiteModel.updateOne({ iss, candidateSub, key }, { $set: fields });
  }
}

export async function listSites(iss: string, candidateSub: string) {
  return PracticumSiteModel.find({ iss, candidateSub }).sort({ lastUsedAt: -1 }).limit(50).lean();
}
