import { Router } from 'express';
import { z } from 'zod';
import { parseInput } from '../../http/edge/input.ts';
import type { ManagementClient } from '../management-client.ts';
import { signedIn } from '../session/session-guard.ts';
import { renderPage, type PageKit } from './dashboard-page.ts';
import { passDownload } from './download.ts';

/** The campaign lists: each a Management API row report, paged here and downloaded as its CSV. */
export const CAMPAIGN_LISTS = {
  'never-returned': {
    title: 'Never returned', path: '/reports/dormant', query: { mode: 'never_returned' },
    lead: 'Signed up, never came back (the win-back mail).',
    columns: ['email', 'name', 'connection', 'created_at', 'last_login', 'logins_count'],
  },
  dormant: {
    title: 'Dormant', path: '/reports/dormant', query: { mode: 'inactive' },
    lead: 'Came back at least once, then stopped signing in.',
    columns: ['email', 'name', 'connection', 'created_at', 'last_login', 'logins_count'],
  },
  unhappy: {
    title: 'Unhappy shoppers', path: '/reports/sentiment', query: { label: 'negative' },
    lead: 'What they say about the store on X, most negative first.',
    columns: ['handle', 'email', 'name', 'score', 'tweets_analyzed', 'analyzed_at'],
  },
} as const;

const listParams = z.object({ list: z.enum(Object.keys(CAMPAIGN_LISTS) as [keyof typeof CAMPAIGN_LISTS]) });
const pageQuery = z.object({ from: z.string().max(1000).optional() }).strict();
export const LIST_PAGE_ROWS = 50;

export function listRoutes({ api, kit }: { api: ManagementClient; kit: PageKit }): Router {
  const router = Router();
  router.get('/admin/lists/:list', async (req, res) => {
    const { list } = parseInput(listParams, req.params, 'params');
    const { from } = parseInput(pageQuery, req.query, 'query');
    const spec = CAMPAIGN_LISTS[list];
    const page = await api.page<Record<string, unknown>>(signedIn(req).session.access_token, spec.path, { ...spec.query, take: LIST_PAGE_ROWS, from });
    await renderPage(kit, req, res, 'list', { title: spec.title, list, spec, page, first: !from });
  });

  router.get('/admin/lists/:list/download', async (req, res) => {
    const { list } = parseInput(listParams, req.params, 'params');
    const spec = CAMPAIGN_LISTS[list];
    await passDownload(req, res, (signal) => api.stream(signedIn(req).session.access_token, 'GET', spec.path, { ...spec.query, format: 'csv' }, undefined, signal));
  });
  return router;
}
