import type { Request, Response } from 'express';
import type { RenderView } from '../../http/views.ts';
import type { DashboardUser } from '../session/session-guard.ts';

export interface PageKit {
  renderView: RenderView;
  /** A CSRF token for the signed-in session (sets its cookie when needed). */
  csrfToken(req: Request, res: Response): string;
  roles: Record<string, string[]>;
}

/** 12345 → "12,345" (what the tests read back). */
export const fmt = (value: unknown) => (typeof value === 'number' ? value.toLocaleString('en-US') : '—');

/** An ISO date as "2025-06-12 14:03 UTC". */
export const when = (value: unknown) => (typeof value === 'string' && value ? `${value.slice(0, 10)} ${value.slice(11, 16)} UTC` : '—');

/**
 * What the header says the user is: the roles whose scopes the token carries all of, less those
 * another such role includes (an admin has every marketing scope too, and is shown as admin).
 */
export function rolesOf(user: DashboardUser, roles: Record<string, string[]>): string[] {
  const held = Object.entries(roles).filter(([, scopes]) => scopes.length > 0 && scopes.every((s) => user.scopes.has(s)));
  const within = (a: string[], b: string[]) => a.length < b.length && a.every((s) => b.includes(s));
  return held.filter(([, scopes]) => !held.some(([, other]) => within(scopes, other))).map(([role]) => role);
}

/** A dashboard page: the layout's locals (who, roles, navigation, CSRF token) and no caching of account data. */
export async function renderPage(kit: PageKit, req: Request, res: Response, view: string, locals: Record<string, unknown> & { title: string }, status = 200): Promise<void> {
  const user = req.dashboard?.user;
  res.setHeader('Cache-Control', 'no-store');
  const html = await kit.renderView(`dashboard/${view}`, {
    ...locals, user, roles: user ? rolesOf(user, kit.roles) : [], csrf: user ? kit.csrfToken(req, res) : '', path: req.path,
    can: (scope: string) => Boolean(user?.scopes.has(scope)), fmt, when,
    // Chart data for the page's script: inert JSON (a non-JavaScript type is never run, so the CSP allows it); `<` escaped so no text can close the block.
    chartJson: (charts: unknown) => JSON.stringify(charts ?? {}).replace(/</g, '\\u003c'),
  });
  res.status(status).type('html').send(html);
}

/** Settles a widget's call: its data, or the reason it has none (a missing scope shows in that widget only). */
export async function widget<T>(load: Promise<T>): Promise<{ data?: T; error?: string }> {
  try {
    return { data: await load };
  } catch (err) {
    const e = err as { status?: number; message?: string; expose?: boolean };
    if (e.status === 401) throw err; // the session is over: the whole page goes to sign-in
    return { error: e.expose || (e.status ?? 500) < 500 ? e.message ?? 'Unavailable.' : 'Unavailable.' };
  }
}
