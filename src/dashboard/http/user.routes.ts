import { Router, type Request, type Response } from 'express';
import { z } from 'zod';
import { parseInput } from '../../http/edge/input.ts';
import { ApiRefusal, type ManagementClient } from '../management-client.ts';
import { signedIn } from '../session/session-guard.ts';
import type { SegmentAnswer } from '../widgets/api-answers.ts';
import { renderPage, widget, type PageKit } from './dashboard-page.ts';

const searchQuery = z.object({ q: z.string().max(500).optional(), from: z.string().max(1000).optional() }).strict();
const idParams = z.object({ id: z.string().min(1).max(300) });
const notice = z.object({ done: z.string().max(100).optional() }).strict();
const unlinkForm = z.object({ provider: z.string().min(1).max(100), identity_user_id: z.string().min(1).max(300), _csrf: z.string().max(512) }).strict();
const actionForm = z.object({ _csrf: z.string().max(512) }).strict();

/**
 * A search box takes Auth0's user search syntax as it is (`email.domain:…`, `logins_count:[2 TO *]`);
 * plain words are looked up as the start of an email or a name, every character escaped.
 */
export function searchQueryOf(input: string): string {
  const text = input.trim();
  if (/[:()]/.test(text)) return text;
  const term = text.replace(/[^A-Za-z0-9]/g, (c) => `\\${c}`);
  return `email:${term}* OR name:${term}*`;
}

const ACTIONS = {
  block: { call: (api: ManagementClient, token: string, id: string) => api.send(token, 'PATCH', `/users/${id}`, { blocked: true }) },
  unblock: { call: (api: ManagementClient, token: string, id: string) => api.send(token, 'PATCH', `/users/${id}`, { blocked: false }) },
  'lift-blocks': { call: (api: ManagementClient, token: string, id: string) => api.send(token, 'DELETE', `/user-blocks/${id}`) },
  'resend-verification': { call: (api: ManagementClient, token: string, id: string) => api.send(token, 'POST', '/jobs/verification-email', { user_id: decodeURIComponent(id) }) },
} as const;

const DONE: Record<string, string> = {
  block: 'Blocked: the user can no longer sign in.', unblock: 'Unblocked.', 'lift-blocks': 'Brute-force blocks lifted.',
  'resend-verification': 'Verification email sent.', unlink: 'Identity unlinked.',
};

/** Users: search (Auth0's syntax or plain words) and the user page with its actions, each a Management API call with the user's token. */
export function userRoutes({ api, kit }: { api: ManagementClient; kit: PageKit }): Router {
  const router = Router();
  const tokenOf = (req: Request) => signedIn(req).session.access_token;

  router.get('/admin/users', async (req, res) => {
    const { q, from } = parseInput(searchQuery, req.query, 'query');
    const result = q?.trim() ? await widget(api.page<Record<string, unknown>>(tokenOf(req), '/users', { q: searchQueryOf(q), take: 25, from, sort: 'created_at:1' })) : undefined;
    await renderPage(kit, req, res, 'users', { title: 'Users', q: q ?? '', result });
  });

  async function showUser(req: Request, res: Response, id: string, notices: { done?: string; error?: string }, status = 200) {
    const token = tokenOf(req);
    const path = `/users/${encodeURIComponent(id)}`;
    const [user, logs, blocks, segments] = await Promise.all([
      api.get<Record<string, unknown> & { facts?: Record<string, unknown> }>(token, path, { include_facts: true }),
      widget(api.get<Record<string, unknown>[]>(token, `${path}/logs`, { per_page: 20, sort: 'date:-1' })),
      widget(api.get<{ blocked_for: { identifier: string; ip?: string }[] }>(token, `/user-blocks/${encodeURIComponent(id)}`)),
      widget(api.get<SegmentAnswer[]>(token, '/segments')),
    ]);
    const memberOf = new Set((user.facts?.segments as string[] | undefined) ?? []);
    await renderPage(kit, req, res, 'user', {
      title: String(user.name ?? user.email ?? id), profile: user, facts: user.facts, logs, blocks, ...notices,
      segments: { ...segments, data: segments.data?.filter((s) => memberOf.has(s.id)) },
    }, status);
  }

  /** Runs an action; a refusal of the API (a 4xx: already verified, no such identity, no update:users) is shown on the user page. */
  async function act(req: Request, res: Response, id: string, name: string, run: () => Promise<unknown>) {
    try {
      await run();
    } catch (err) {
      if (!(err instanceof ApiRefusal)) throw err;
      return showUser(req, res, id, { error: err.message }, err.status);
    }
    res.redirect(303, `/admin/users/${encodeURIComponent(id)}?done=${name}`);
  }

  router.get('/admin/users/:id', async (req, res) => {
    const { id } = parseInput(idParams, req.params, 'params');
    // Own keys only: `in` also finds what every object inherits (?done=constructor would print Object's source).
    const { done } = parseInput(notice, req.query, 'query');
    await showUser(req, res, id, { done: done && Object.hasOwn(DONE, done) ? DONE[done] : undefined });
  });

  for (const [name, action] of Object.entries(ACTIONS)) {
    router.post(`/admin/users/:id/${name}`, async (req, res) => {
      const { id } = parseInput(idParams, req.params, 'params');
      parseInput(actionForm, req.body, 'form');
      await act(req, res, id, name, () => action.call(api, tokenOf(req), encodeURIComponent(id)));
    });
  }

  router.post('/admin/users/:id/unlink', async (req, res) => {
    const { id } = parseInput(idParams, req.params, 'params');
    const form = parseInput(unlinkForm, req.body, 'form');
    await act(req, res, id, 'unlink', () => api.send(tokenOf(req), 'DELETE', `/users/${encodeURIComponent(id)}/identities/${encodeURIComponent(form.provider)}/${encodeURIComponent(form.identity_user_id)}`));
  });
  return router;
}
