import { CookieJar } from '../../bench/lib/cookies';

/**
 * A browser talking to a Fieldbook process and the Sandbox LMS it serves, with Node's fetch and
 * a cookie jar: real signed launches (Sandbox launch page → tool login → Sandbox auth → the
 * id_token form posted to the tool → the page with the ltik), then form posts as the page's forms
 * send them. `origin` may differ from the redirects' origin (a second instance behind the same
 * PUBLIC_URL): every request goes to `origin`, as a load balancer would route it.
 */
export interface HtmlForm {
  action: string;
  fields: Record<string, string>;
}

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };
const decode = (text: string) =>
  text.replace(/&(#x[0-9a-f]+|#\d+|[a-z]+);/gi, (whole, code: string) =>
    code[0] === '#' ? String.fromCodePoint(code[1].toLowerCase() === 'x' ? parseInt(code.slice(2), 16) : parseInt(code.slice(1), 10)) : (ENTITIES[code.toLowerCase()] ?? whole),
  );
const attr = (tag: string, name: string) => {
  const m = new RegExp(`\\s${name}\\s*=\\s*("([^"]*)"|'([^']*)')`, 'i').exec(tag);
  return m ? decode(m[2] ?? m[3] ?? '') : undefined;
};

/** The first form of the page holding a field `mustHave` (hidden and text inputs only). */
export function findForm(html: string, mustHave: string): HtmlForm | null {
  for (const m of html.matchAll(/<form\b[^>]*>[\s\S]*?<\/form>/gi)) {
    const fields: Record<string, string> = {};
    for (const input of m[0].match(/<input\b[^>]*>/gi) ?? []) {
      const name = attr(input, 'name');
      const type = (attr(input, 'type') ?? 'text').toLowerCase();
      if (name && type !== 'checkbox' && type !== 'radio') fields[name] = attr(input, 'value') ?? '';
    }
    if (mustHave in fields) return { action: attr(/<form\b[^>]*>/i.exec(m[0])?.[0] ?? '', 'action') ?? '', fields };
  }
  return null;
}

export interface Answer {
  status: number;
  text: string;
  headers: Headers;
}

export class SandboxBrowser {
  readonly jar: CookieJar = new CookieJar();

  constructor(readonly origin: string, jar?: CookieJar) {
    if (jar) this.jar = jar;
  }

  /** The same browser (its cookies) with its requests routed to another instance. */
  at(origin: string): SandboxBrowser {
    return new SandboxBrowser(origin, this.jar);
  }

  private url(pathOrUrl: string): string {
    const u = new URL(pathOrUrl, this.origin);
    return `${this.origin}${u.pathname}${u.search}`;
  }

  async get(pathOrUrl: string): Promise<Answer> {
    const res = await fetch(this.url(pathOrUrl), { redirect: 'manual', headers: { cookie: this.jar.header() } });
    this.jar.take(res);
    return { status: res.status, text: await res.text(), headers: res.headers };
  }

  async postForm(pathOrUrl: string, fields: Record<string, string | string[]>): Promise<Answer> {
    const body = new URLSearchParams();
    for (const [k, v] of Object.entries(fields)) for (const one of Array.isArray(v) ? v : [v]) body.append(k, one);
    const res = await fetch(this.url(pathOrUrl), { method: 'POST', redirect: 'manual', headers: { cookie: this.jar.header(), 'content-type': 'application/x-www-form-urlencoded' }, body: body.toString() });
    this.jar.take(res);
    return { status: res.status, text: await res.text(), headers: res.headers };
  }

  async postJson(pathOrUrl: string, json: unknown): Promise<Answer> {
    const res = await fetch(this.url(pathOrUrl), { method: 'POST', redirect: 'manual', headers: { cookie: this.jar.header(), 'content-type': 'application/json' }, body: JSON.stringify(json) });
    this.jar.take(res);
    return { status: res.status, text: await res.text(), headers: res.headers };
  }

  /** A launch from the Sandbox; returns the tool's page and the ltik it carries. */
  async launch(placementId: string, personId: string): Promise<{ ltik: string; text: string }> {
    const page = await this.get(`/sandbox/launch/${placementId}/${personId}`);
    const iframe = /<iframe\b[^>]*>/i.exec(page.text)?.[0];
    const loginUrl = iframe ? attr(iframe, 'src') : undefined;
    if (page.status !== 200 || !loginUrl) throw new Error(`Sandbox launch page answered ${page.status}`);
    const login = await this.get(loginUrl);
    const authUrl = login.headers.get('location');
    if (login.status !== 302 || !authUrl) throw new Error(`tool login answered ${login.status}: ${login.text.slice(0, 200)}`);
    const auth = await this.get(authUrl);
    const form = findForm(auth.text, 'id_token');
    if (auth.status !== 200 || !form) throw new Error(`Sandbox auth answered ${auth.status}: ${auth.text.slice(0, 200)}`);
    const posted = await this.postForm(form.action, form.fields);
    const next = posted.headers.get('location');
    const ltik = next ? new URL(next, this.origin).searchParams.get('ltik') : null;
    if (!next || !ltik) throw new Error(`tool launch answered ${posted.status}: ${posted.text.slice(0, 200)}`);
    const final = await this.get(next);
    if (final.status !== 200) throw new Error(`tool page answered ${final.status}: ${final.text.slice(0, 200)}`);
    return { ltik, text: final.text };
  }
}
