/**
 * Client-side helpers for tests that talk to the fakes without a browser: answer a consent page
 * over HTTP, and run a passport strategy's authenticate() outside express.
 */

export type StrategyOutcome =
  | { kind: 'redirect'; url: string; status?: number }
  | { kind: 'success'; user: unknown; info: unknown }
  | { kind: 'fail'; challenge: unknown; status?: number }
  | { kind: 'error'; error: Error }
  | { kind: 'pass' };

interface AuthenticatingStrategy {
  authenticate(req: unknown, options?: unknown): void;
}

/**
 * Runs one authenticate() call the way passport's middleware would, capturing how it ends.
 * `req` needs `query` (the callback's query parameters) and, for OAuth 1.0a, a `session` object
 * that persists between the two calls.
 */
export function runStrategy(strategy: AuthenticatingStrategy, req: { query: Record<string, string>; session?: Record<string, unknown> }, options: Record<string, unknown> = {}): Promise<StrategyOutcome> {
  return new Promise((resolve) => {
    const run = Object.create(strategy) as AuthenticatingStrategy & Record<string, unknown>;
    run.redirect = (url: string, status?: number) => resolve({ kind: 'redirect', url, status });
    run.success = (user: unknown, info: unknown) => resolve({ kind: 'success', user, info });
    run.fail = (challenge: unknown, status?: number) => resolve({ kind: 'fail', challenge, status });
    run.error = (error: Error) => resolve({ kind: 'error', error });
    run.pass = () => resolve({ kind: 'pass' });
    run.authenticate({ headers: {}, connection: {}, url: '/', ...req }, options);
  });
}

export interface ConsentForm {
  action: string;
  fields: Record<string, string>;
  html: string;
}

/** Loads a fake's consent page and reads its form (action and hidden fields). */
export async function loadConsent(authorizationUrl: string): Promise<ConsentForm> {
  const res = await fetch(authorizationUrl, { redirect: 'manual' });
  const html = await res.text();
  if (res.status !== 200) throw new Error(`consent page answered HTTP ${res.status}: ${html.slice(0, 400)}`);
  const action = /<form method="post" action="([^"]+)"/.exec(html)?.[1];
  if (!action) throw new Error(`no consent form on ${authorizationUrl}`);
  const fields: Record<string, string> = {};
  for (const m of html.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)">/g)) fields[unescape(m[1]!)] = unescape(m[2]!);
  return { action: new URL(unescape(action), authorizationUrl).toString(), fields, html };
}

/** Clicks "Allow" or "Deny" over HTTP; returns where the provider redirects the browser. */
export async function answerConsent(authorizationUrl: string, decision: 'allow' | 'deny'): Promise<URL> {
  const form = await loadConsent(authorizationUrl);
  const res = await fetch(form.action, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ ...form.fields, decision }).toString(),
  });
  const location = res.headers.get('location');
  if (res.status !== 302 || !location) throw new Error(`consent answer got HTTP ${res.status}: ${await res.text()}`);
  return new URL(location);
}

function unescape(s: string): string {
  return s.replace(/&(amp|lt|gt|quot|#39);/g, (_, e: string) => ({ amp: '&', lt: '<', gt: '>', quot: '"', '#39': "'" })[e]!);
}
