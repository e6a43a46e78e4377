import type { Response } from 'express';
import type { StorefrontSession } from './session.ts';

// Everything shown comes from insole or the API, so every value goes through escapeHtml.
export function escapeHtml(value: unknown): string {
  return String(value ?? '').replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

const STYLE = `
  body { font: 16px/1.5 system-ui, sans-serif; margin: 0; background: #faf7f5; color: #222; }
  header { background: #e4572e; color: #fff; padding: .8rem 1.5rem; display: flex; justify-content: space-between; align-items: center; }
  header a { color: #fff; text-decoration: none; font-weight: 600; }
  main { max-width: 40rem; margin: 2rem auto; padding: 0 1.5rem; }
  .card { background: #fff; border-radius: .6rem; padding: 1.5rem; box-shadow: 0 1px 4px #0002; }
  .who { display: flex; gap: 1rem; align-items: center; }
  .who img { width: 64px; height: 64px; border-radius: 50%; }
  .actions { display: flex; gap: .6rem; margin-top: 1.2rem; flex-wrap: wrap; }
  .button, button { font: inherit; padding: .5rem 1rem; border-radius: .4rem; border: 1px solid #e4572e; cursor: pointer;
    background: #e4572e; color: #fff; text-decoration: none; }
  .secondary { background: #fff; color: #e4572e; }
  table { width: 100%; border-collapse: collapse; } td, th { text-align: left; padding: .4rem; border-bottom: 1px solid #eee; }
  .error { color: #a4161a; }`;

function layout(title: string, body: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)} · InnovaShoes</title><style>${STYLE}</style></head>
<body><header><a href="/">InnovaShoes</a><span>example storefront</span></header>
<main><div class="card">${body}</div></main></body></html>`;
}

/** No scripts at all; styles inline; avatars from https only. Not form-action: the sign-out post redirects to insole. */
export function sendPage(res: Response, status: number, html: string): void {
  res.status(status).set({
    'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'; img-src https: data:; base-uri 'none'; frame-ancestors 'none'",
    'cache-control': 'no-store',
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'no-referrer',
  }).type('html').send(html);
}

export function homePage(session: StorefrontSession | undefined): string {
  if (!session) {
    return layout('Welcome', `<h1>Welcome to InnovaShoes</h1>
<p>Sign in to see your orders.</p>
<div class="actions"><a class="button" href="/login">Sign in</a><a class="button secondary" href="/signup">Create account</a></div>`);
  }
  const { name, nickname, email, picture } = session.claims;
  const avatar = typeof picture === 'string' && picture.startsWith('https://')
    ? `<img src="${escapeHtml(picture)}" alt="" referrerpolicy="no-referrer">` : '';
  // Auth0-shaped profiles of password users have name = email; the nickname reads better then.
  const displayName = name && name !== email ? name : nickname ?? email ?? session.claims.sub;
  return layout('Your account', `<h1>Hello, ${escapeHtml(displayName)}</h1>
<div class="who">${avatar}<div><strong>${escapeHtml(displayName)}</strong><br><span data-email>${escapeHtml(email)}</span></div></div>
<div class="actions">
  <a class="button" href="/me/orders">Show my orders (calls the API)</a>
  <form method="post" action="/logout"><button class="secondary" type="submit">Sign out</button></form>
</div>`);
}

interface Order {
  id: string;
  placed_at: string;
  status: string;
  items: { name: string; quantity: number }[];
  total: { amount: number; currency: string };
}

export function ordersPage(apiStatus: number, body: { orders?: Order[]; error?: string; error_description?: string }): string {
  if (apiStatus !== 200 || !body.orders) {
    return layout('Orders', `<h1>Your orders</h1>
<p class="error">The API answered ${apiStatus}: ${escapeHtml(body.error_description ?? body.error)}</p><p><a href="/">Back</a></p>`);
  }
  const rows = body.orders.map((o) => `<tr><td>${escapeHtml(o.id)}</td><td>${escapeHtml(o.placed_at)}</td>
<td>${o.items.map((i) => `${escapeHtml(i.quantity)} × ${escapeHtml(i.name)}`).join('<br>')}</td>
<td>${escapeHtml(o.total.amount)} ${escapeHtml(o.total.currency)}</td><td>${escapeHtml(o.status)}</td></tr>`).join('');
  return layout('Orders', `<h1>Your orders</h1>
<p>Fetched from <code>GET /api/orders</code> with your insole access token (HTTP ${apiStatus}).</p>
<table><thead><tr><th>Order</th><th>Date</th><th>Items</th><th>Total</th><th>Status</th></tr></thead><tbody>${rows}</tbody></table>
<p><a href="/">Back</a></p>`);
}

export function errorPage(title: string, message: string): string {
  return layout(title, `<h1>${escapeHtml(title)}</h1><p class="error">${escapeHtml(message)}</p>
<div class="actions"><a class="button" href="/login">Try again</a><a class="button secondary" href="/">Home</a></div>`);
}
