/**
 * A class at a deadline, driven through real Fieldbook processes (bench/load.ts and test/load/):
 * a Sandbox course with faculty and candidates, the practicum log placed by deep linking, each
 * candidate's forms as the browser renders them, and the check that nothing was lost or made
 * wrong — read from the database the processes share.
 */
import { Types } from 'mongoose';
import { PracticumEntryModel, type PracticumEntry } from '../../src/practicum/practicum-entry.model';
import { PracticumProgressModel } from '../../src/practicum/practicum-progress.model';
import { itemOf, progressId, totalsOf, type ProgressItem } from '../../src/practicum/progress-store';
import { addSandboxPerson, createSandboxCourse, createSandboxPlacement, listSandboxPlacements, type SandboxPersonView, type SandboxPlacementView } from '../../src/sandbox';
import { findForm, SandboxBrowser } from './sandbox-browser';

export interface LoadClass {
  courseId: string;
  faculty: SandboxPersonView;
  candidates: SandboxPersonView[];
  placement: SandboxPlacementView;
  activityId: string;
}

/** Runs `work` over `items`, at most `limit` at a time. */
export async function inBatches<T, R>(items: T[], limit: number, work: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) {
        const i = next++;
        out[i] = await work(items[i], i);
      }
    }),
  );
  return out;
}

/** A course, its faculty and `candidates` candidates, and a practicum log placed by faculty. */
export async function buildLoadClass(origin: string, candidates: number, settings: Record<string, string> = {}): Promise<LoadClass> {
  const suffix = Math.random().toString(36).slice(2, 8);
  const course = await createSandboxCourse({ title: `EDL 699 — Deadline ${suffix}`, label: `EDL699-${suffix}` });
  const faculty = await addSandboxPerson(course.id, { name: `Dr. Load ${suffix}`, roles: 'faculty' });
  const people = await inBatches(Array.from({ length: candidates }, (_, i) => i), 8, (i) => addSandboxPerson(course.id, { name: `Load Candidate ${String(i).padStart(3, '0')} ${suffix}`, roles: 'candidate' }));
  const deepLink = await createSandboxPlacement(course.id, { kind: 'deep_linking', title: 'Add a Fieldbook activity' });
  const browser = new SandboxBrowser(origin);
  const picker = await browser.launch(deepLink.id, faculty.id);
  const title = `Deadline hours ${suffix}`;
  const formToken = findForm(picker.text, 'formToken')?.fields.formToken ?? '';
  const submitted = await browser.postForm('/lti/deep-link/submit', { ltik: picker.ltik, formToken, activityType: 'practicum-log', title, pointsPossible: '10', ...settings });
  const response = findForm(submitted.text, 'JWT');
  if (submitted.status !== 200 || !response) throw new Error(`deep-link submit answered ${submitted.status}: ${submitted.text.slice(0, 300)}`);
  const back = await browser.postForm(response.action, response.fields);
  if (back.status !== 200) throw new Error(`deep-link return answered ${back.status}: ${back.text.replace(/<[^>]+>/g, " ").replace(/\s+/g, " ").slice(0, 400)}`);
  const placement = (await listSandboxPlacements(course.id)).find((p) => p.createdByDeepLink && p.title === title);
  if (!placement?.custom.activity_id) throw new Error('the Sandbox has no placement for the new activity');
  return { courseId: course.id, faculty, candidates: people, placement, activityId: placement.custom.activity_id };
}

/** One open page of the practicum log: the entry form's hidden fields (ltik, aid, formToken). */
export interface OpenForm {
  browser: SandboxBrowser;
  ltik: string;
  aid: string;
  formToken: string;
}

/** The entry form of a page, or of the practicum page loaded again (another tab). */
export async function entryForm(browser: SandboxBrowser, ltik: string, html?: string): Promise<OpenForm> {
  let form = html ? findForm(html, 'formToken') : null;
  if (!form) {
    const page = await browser.get(`/lti/practicum?ltik=${encodeURIComponent(ltik)}`);
    form = findForm(page.text, 'formToken');
    if (page.status !== 200 || !form) throw new Error(`practicum page answered ${page.status}: ${page.text.slice(0, 300)}`);
  }
  return { browser, ltik: form.fields.ltik || ltik, aid: form.fields.aid, formToken: form.fields.formToken };
}

/** What one submit of candidate `i`, tab `k` says (unique per request, so each can be found). */
export function submittedEntry(i: number, k: number) {
  return {
    date: `2026-10-${String(1 + (k % 28)).padStart(2, '0')}`,
    hours: String(1 + (k % 4) * 0.25 + (i % 3)),
    siteName: 'Lincoln Elementary',
    siteDistrict: 'District 7',
    gradeBand: 'elementary',
    populations: ['special-education', 'english-learners'],
    category: 'observation-feedback',
    standards: ['4', '6.1'],
    description: `Deadline entry ${i}/${k}: co-observed two classrooms and drafted feedback.`,
    reflection: 'Feedback works best when it is specific.',
    mentorName: 'Mo Mentor',
  };
}

export const autosaveText = (i: number) => `Half-written at the deadline ${i}`;

/** A form post of "Save and submit" from an open page; resolves with the answer (never throws on a status). */
export function submitFrom(form: OpenForm, i: number, k: number) {
  return form.browser.postForm('/lti/practicum/entries', { ltik: form.ltik, aid: form.aid, entryId: '', version: '', formToken: form.formToken, intent: 'submit', ...submittedEntry(i, k) });
}

/** The autosave script's post of a half-typed new entry. */
export function autosaveFrom(form: OpenForm, i: number) {
  return form.browser.postJson('/lti/practicum/entries/autosave', { ltik: form.ltik, aid: form.aid, formToken: form.formToken, description: autosaveText(i), hours: '0.5' });
}

export interface Expected {
  candidateSub: string;
  /** Submits whose answer was a success: each must be stored once, as submitted. */
  submitted: { i: number; k: number }[];
  /** Submits whose answer was not a success: stored at most once. */
  unanswered?: { i: number; k: number }[];
  /** Autosaves answered with success (stored once, a draft), and others (at most once). */
  autosaved: number[];
  unansweredAutosaves?: number[];
  /** Entries of this candidate that exist apart from these requests. */
  others?: number;
  /** The status the answered submits must have now (default: submitted). */
  status?: string;
}

/**
 * Everything wrong with one candidate's records: entries lost, stored twice or not as sent, and a
 * progress document that differs from what recomputing it from the entries gives.
 */
export async function problemsOf(activityId: string, expected: Expected): Promise<string[]> {
  const problems: string[] = [];
  const who = expected.candidateSub;
  const entries = (await PracticumEntryModel.find({ activityId: new Types.ObjectId(activityId), candidateSub: who }).lean()) as PracticumEntry[];
  const byText = new Map<string, PracticumEntry[]>();
  for (const e of entries) byText.set(e.description, [...(byText.get(e.description) ?? []), e]);
  for (const { i, k } of expected.submitted) {
    const sent = submittedEntry(i, k);
    const found = byText.get(sent.description) ?? [];
    if (found.length !== 1) problems.push(`${who}: submit ${i}/${k} stored ${found.length} times`);
    const e = found[0];
    if (e && (e.status !== (expected.status ?? 'submitted') || e.minutes !== Math.round(Number(sent.hours) * 60) || e.date !== sent.date || e.site?.name !== sent.siteName)) {
      problems.push(`${who}: submit ${i}/${k} stored as ${e.status} ${e.minutes} min ${e.date}, not as sent`);
    }
  }
  for (const { i, k } of expected.unanswered ?? []) {
    const n = byText.get(submittedEntry(i, k).description)?.length ?? 0;
    if (n > 1) problems.push(`${who}: unanswered submit ${i}/${k} stored ${n} times`);
  }
  for (const i of expected.autosaved) {
    const found = byText.get(autosaveText(i)) ?? [];
    if (found.length !== 1 || found[0].status !== 'draft') problems.push(`${who}: autosave ${i} stored ${found.length} times (${found.map((e) => e.status).join(', ')})`);
  }
  for (const i of expected.unansweredAutosaves ?? []) {
    const n = byText.get(autosaveText(i))?.length ?? 0;
    if (n > 1) problems.push(`${who}: unanswered autosave ${i} stored ${n} times`);
  }
  const most = expected.submitted.length + expected.autosaved.length + (expected.unanswered?.length ?? 0) + (expected.unansweredAutosaves?.length ?? 0) + (expected.others ?? 0);
  if (entries.length > most) problems.push(`${who}: ${entries.length} entries stored, at most ${most} sent`);
  problems.push(...(await progressProblems(activityId, who, entries)));
  return problems;
}

/** The candidate's progress document against what recomputing it from `entries` gives. */
export async function progressProblems(activityId: string, candidateSub: string, entries: PracticumEntry[]): Promise<string[]> {
  const doc = (await PracticumProgressModel.findOne({ _id: progressId(activityId, candidateSub) }).lean()) as { items?: Record<string, ProgressItem>; minutes?: unknown; entries?: unknown } | null;
  if (!doc) return entries.length ? [`${candidateSub}: no progress document for ${entries.length} entries`] : [];
  const items = Object.fromEntries(entries.map((e) => [String(e._id), itemOf(e)]));
  const totals = totalsOf(items);
  const same = (a: unknown, b: unknown) => JSON.stringify(sortKeys(a)) === JSON.stringify(sortKeys(b));
  const problems: string[] = [];
  if (!same(doc.items ?? {}, items)) problems.push(`${candidateSub}: progress items differ from the entries`);
  if (!same(doc.minutes ?? {}, totals.minutes) || !same(doc.entries ?? {}, totals.entries)) {
    problems.push(`${candidateSub}: progress totals ${JSON.stringify(doc.entries)} differ from the entries' ${JSON.stringify(totals.entries)}`);
  }
  return problems;
}

function sortKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (v && typeof v === 'object' && !(v instanceof Date)) return Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => a.localeCompare(b)).map(([k, x]) => [k, sortKeys(x)]));
  return v;
}
