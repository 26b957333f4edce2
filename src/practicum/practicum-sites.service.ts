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

/** Remembers (or refreshes) a site for the candidate's next entries. */
export async function rememberSite(iss: string, candidateSub: string, site: EntrySite): Promise<void> {
  const filter = { iss, candidateSub, key: siteKey(site.name, site.district) };
  const update = { $set: { name: site.name, district: site.district, gradeBand: site.gradeBand, populations: site.populations, lastUsedAt: new Date() } };
  try {
    await PracticumSiteModel.updateOne(filter, update, { upsert: true });
  } catch (err) {
    if (!isDuplicateKeyError(err)) throw err;
    await PracticumSiteModel.updateOne(filter, update);
  }
}

export async function listSites(iss: string, candidateSub: string) {
  return PracticumSiteModel.find({ iss, candidateSub }).sort({ lastUsedAt: -1 }).limit(50).lean();
}
