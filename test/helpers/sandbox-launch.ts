import { decodeJwt, type JWTPayload } from 'jose';
import request from 'supertest';

/**
 * Drives real LTI launches from the Sandbox LMS through the tool, as a browser would:
 * launch page → iframe src (tool login) → 302 to /sandbox/auth → auto-submit form → POST to the
 * tool's launch URL → redirect with the ltik → final page. Cookies are kept by a supertest agent.
 */

export type Agent = ReturnType<typeof request.agent>;

export interface HtmlForm {
  action: string;
  fields: Record<string, string>;
}

export interface LaunchOptions {
  personId: string;
  placementId: string;
  /** Reuse an agent (its cookies) — e.g. to launch twice in the same browser. */
  agent?: Agent;
  /** Change the form_post fields before they reach the tool (negative tests). */
  tamper?: (form: HtmlForm) => HtmlForm;
  /** Do not follow the tool's redirect after the id_token POST. */
  noFollow?: boolean;
}

export interface LaunchResult {
  agent: Agent;
  /** The ltik the tool put in its redirect, or null when the launch failed. */
  ltik: string | null;
  /** Status of the final response (the page after the redirect, or the POST answer). */
  status: number;
  /** HTML of the final response. */
  text: string;
  /** Location of the tool's answer to the id_token POST (null when it did not redirect). */
  location: string | null;
  idToken: string;
  idTokenClaims: JWTPayload;
  state: string;
  /** The third-party initiated login URL the Sandbox put in the iframe. */
  loginUrl: string;
}

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

export function decodeHtml(text: string): string {
  return text.replace(/&(#x[0-9a-f]+|#\d+|[a-z]+);/gi, (whole, code: string) => {
    if (code[0] === '#') return String.fromCodePoint(code[1].toLowerCase() === 'x' ? parseInt(code.slice(2), 16) : parseInt(code.slice(1), 10));
    return ENTITIES[code.toLowerCase()] ?? whole;
  });
}

function attr(tag: string, name: string): string | undefined {
  const m = new RegExp(`\\s${name}\\s*=\\s*("([^"]*)"|'([^']*)')`, 'i').exec(tag);
  return m ? decodeHtml(m[2] ?? m[3] ?? '') : undefined;
}

/** The first form in the page (optionally the first one holding a field `mustHave`). */
export function parseForm(html: string, mustHave?: string): HtmlForm {
  const forms = [...html.matchAll(/<form\b[^>]*>[\s\S]*?<\/form>/gi)].map((m) => m[0]);
  for (const form of forms) {
    const openTag = /<form\b[^>]*>/i.exec(form)?.[0] ?? '';
    const fields: Record<string, string> = {};
    for (const input of form.match(/<input\b[^>]*>/gi) ?? []) {
      const name = attr(input, 'name');
      if (name) fields[name] = attr(input, 'value') ?? '';
    }
    if (!mustHave || mustHave in fields) return { action: attr(openTag, 'action') ?? '', fields };
  }
  throw new Error(`No form${mustHave ? ` with a ${mustHave} field` : ''} in the page:\n${html.slice(0, 500)}`);
}

/** The src of the tool iframe on a Sandbox launch page. */
export function parseIframeSrc(html: string): string {
  const tag = /<iframe\b[^>]*>/i.exec(html)?.[0];
  const src = tag ? attr(tag, 'src') : undefined;
  if (!src) throw new Error('No tool iframe in the launch page');
  return src;
}

/** Path + query of an absolute URL on the server under test (the agent is bound to baseUrl). */
export function localPath(baseUrl: string, url: string): string {
  const u = new URL(url, baseUrl);
  if (u.origin !== new URL(baseUrl).origin) throw new Error(`${url} is not on ${baseUrl}`);
  return u.pathname + u.search;
}

/** Opens the Sandbox launch page and returns the tool login URL from the iframe. */
export async function openLaunchPage(agent: Agent, personId: string, placementId: string): Promise<string> {
  const page = await agent.get(`/sandbox/launch/${placementId}/${personId}`);
  if (page.status !== 200) throw new Error(`Sandbox launch page answered ${page.status}: ${page.text.slice(0, 300)}`);
  return parseIframeSrc(page.text);
}

/** A full launch round trip; see the file comment. */
export async function launchAs(baseUrl: string, options: LaunchOptions): Promise<LaunchResult> {
  const agent = options.agent ?? request.agent(baseUrl);
  const loginUrl = await openLaunchPage(agent, options.personId, options.placementId);

  const login = await agent.get(localPath(baseUrl, loginUrl));
  if (login.status !== 302 || !login.headers.location) throw new Error(`Tool login answered ${login.status}: ${login.text.slice(0, 300)}`);
  const auth = await agent.get(localPath(baseUrl, login.headers.location));
  if (auth.status !== 200) throw new Error(`Sandbox auth answered ${auth.status}: ${auth.text.slice(0, 300)}`);

  const form = (options.tamper ?? ((f: HtmlForm) => f))(parseForm(auth.text, 'id_token'));
  const idToken = parseForm(auth.text, 'id_token').fields.id_token;
  const posted = await agent.post(localPath(baseUrl, form.action)).type('form').send(form.fields);
  const location = posted.status >= 300 && posted.status < 400 ? (posted.headers.location ?? null) : null;
  const ltik = location ? new URL(location, baseUrl).searchParams.get('ltik') : null;

  let status = posted.status;
  let text = posted.text;
  if (location && !options.noFollow) {
    const final = await agent.get(localPath(baseUrl, location));
    status = final.status;
    text = final.text;
  }
  return { agent, ltik, status, text, location, idToken, idTokenClaims: decodeJwt(idToken), state: form.fields.state ?? '', loginUrl };
}

export interface DeepLinkLaunchResult extends LaunchResult {
  deepLinkingSettings: {
    deep_link_return_url: string;
    accept_types: string[];
    accept_multiple?: boolean;
    data?: string;
    [k: string]: unknown;
  };
}

/** A deep-linking launch (the placement must be a deep_linking one); the final page is the tool's picker. */
export async function deepLinkAs(baseUrl: string, options: LaunchOptions): Promise<DeepLinkLaunchResult> {
  const result = await launchAs(baseUrl, options);
  const settings = result.idTokenClaims['https://purl.imsglobal.org/spec/lti-dl/claim/deep_linking_settings'];
  if (!settings) throw new Error('The launch was not a deep-linking request');
  return { ...result, deepLinkingSettings: settings as DeepLinkLaunchResult['deepLinkingSettings'] };
}

/**
 * Posts the tool's picker ("Add to course") as a browser would: the hidden fields as the page
 * rendered them (the ltik and the one-time formToken), with the choices in `fields`.
 */
export async function submitPicker(agent: Agent, pickerHtml: string, fields: Record<string, string | string[]>) {
  const { ltik, formToken } = parseForm(pickerHtml, 'formToken').fields;
  return agent.post('/lti/deep-link/submit').type('form').send({ ltik, formToken, ...fields });
}

/**
 * Posts the tool's deep-linking response form (a page with a form holding a JWT field) back to the
 * Sandbox, as the browser's auto-submit would. Returns the Sandbox's confirmation page response.
 */
export async function returnDeepLink(baseUrl: string, agent: Agent, toolPageHtml: string) {
  const form = parseForm(toolPageHtml, 'JWT');
  return agent.post(localPath(baseUrl, form.action)).type('form').send(form.fields);
}
