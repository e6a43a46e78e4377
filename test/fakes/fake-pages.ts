import type { ServerResponse } from 'node:http';

/** The fakes' HTML: a consent page (Allow / Deny) and the error page shown instead of a redirect. */

export const escapeHtml = (s: string) =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

function page(title: string, brand: string, inner: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title><link rel="icon" href="data:,">
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>body{font-family:system-ui,sans-serif;max-width:28rem;margin:3rem auto;padding:0 1rem}
header{font-weight:700;color:${brand}}button{font-size:1rem;padding:.5rem 1.25rem;margin-right:.5rem}</style>
</head><body>${inner}</body></html>`;
}

export interface ConsentPage {
  provider: string;
  brand: string;
  /** Who is signing in, e.g. ['Ada Lovelace', 'ada@example.com']. */
  accountLines: string[];
  clientLabel: string;
  permissions: string[];
  action: string;
  /** Hidden form fields (the pending request's id). */
  hidden: Record<string, string>;
}

/** One form, two submit buttons: name="decision" value="allow" | "deny". */
export function consentPage(p: ConsentPage): string {
  const hidden = Object.entries(p.hidden).map(([k, v]) => `<input type="hidden" name="${escapeHtml(k)}" value="${escapeHtml(v)}">`).join('');
  return page(`Sign in with ${p.provider}`, p.brand, `
<header>${escapeHtml(p.provider)} (fake)</header>
<h1>Sign in to ${escapeHtml(p.clientLabel)}</h1>
<section aria-label="Account"><p>Signed in as:</p><ul>${p.accountLines.map((l) => `<li>${escapeHtml(l)}</li>`).join('')}</ul></section>
<p>${escapeHtml(p.clientLabel)} wants to access:</p>
<ul class="permissions">${p.permissions.map((s) => `<li>${escapeHtml(s)}</li>`).join('')}</ul>
<form method="post" action="${escapeHtml(p.action)}">${hidden}
<button type="submit" name="decision" value="allow">Allow</button>
<button type="submit" name="decision" value="deny">Deny</button>
</form>`);
}

/** The page a provider shows instead of redirecting when it cannot trust the redirect URI. */
export function errorPage(res: ServerResponse, status: number, provider: string, title: string, detail: string): void {
  res.writeHead(status, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
  res.end(page(`${provider}: ${title}`, '#b00020', `<header>${escapeHtml(provider)} (fake)</header>
<h1 class="error">${escapeHtml(title)}</h1><p class="error-detail">${escapeHtml(detail)}</p>`));
}
