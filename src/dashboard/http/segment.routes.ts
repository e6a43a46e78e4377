import { Router, type Request, type Response } from 'express';
import { z } from 'zod';
import { CONNECTIONS } from '../../auth/connections.ts';
import type { Config } from '../../config/schema.ts';
import { parseInput } from '../../http/edge/input.ts';
import { PREORDER_SEGMENT_FILTER } from '../../insight/segments/campaign-segments.ts';
import { ApiRefusal, type ManagementClient } from '../management-client.ts';
import { signedIn } from '../session/session-guard.ts';
import type { PreviewAnswer, SegmentAnswer } from '../widgets/api-answers.ts';
import { orderSegments, PREORDER_KEY } from '../widgets/overview-widgets.ts';
import { filterFromForm, LIFECYCLE_CHOICES, PREORDER_FORM, SENTIMENT_CHOICES, segmentFormSchema, type SegmentForm, type SegmentFormInput } from '../widgets/segment-form.ts';
import { renderPage, widget, type PageKit } from './dashboard-page.ts';
import { passDownload } from './download.ts';

const idParams = z.object({ id: z.string().regex(/^seg_[0-9a-f]{24}$/, 'not a segment id') });
const pageQuery = z.object({ saved: z.string().max(200).optional(), deleted: z.string().max(200).optional(), from: z.string().max(1000).optional(), start: z.enum(['pre-order']).optional() }).strict();

/**
 * Saved segments and the segment builder: the list with sizes and recent movement (the pre-order
 * segment first), a member page with its CSV, and the builder, whose preview is the Management
 * API's POST /reports/segments/preview of the filter the form makes.
 */
export function segmentRoutes({ api, kit, config }: { api: ManagementClient; kit: PageKit; config: Config }): Router {
  const router = Router();
  const choices = { lifecycle: LIFECYCLE_CHOICES, sentiment: SENTIMENT_CHOICES, connections: CONNECTIONS, interests: Object.keys(config.insight.interests) };

  /** The page with the builder showing `raw` (the form as typed); a form that makes no filter (a bad number) gets no preview, and `notice.error` says why. */
  async function showPage(req: Request, res: Response, raw: SegmentFormInput, notice: { saved?: string; deleted?: string; error?: string } = {}, status = 200) {
    const token = signedIn(req).session.access_token;
    const form = segmentFormSchema.safeParse(raw);
    const filter = form.success ? filterFromForm(form.data) : undefined;
    const [segments, preview] = await Promise.all([
      widget(api.get<SegmentAnswer[]>(token, '/segments')),
      filter ? widget(api.send<PreviewAnswer>(token, 'POST', '/reports/segments/preview', { filter })) : {},
    ]);
    await renderPage(kit, req, res, 'segments', {
      title: 'Segments', form: raw, filter, preview, choices, notice, hasPreorder: Boolean(segments.data?.some((s) => s.key === PREORDER_KEY)),
      segments: { ...segments, data: segments.data && orderSegments(segments.data) },
    }, status);
  }

  router.get('/admin/segments', async (req, res) => {
    const query = parseInput(pageQuery, req.query, 'query');
    await showPage(req, res, query.start === 'pre-order' ? PREORDER_FORM : {}, { saved: query.saved, deleted: query.deleted });
  });

  router.post('/admin/segments/preview', async (req, res) => {
    const filter = filterFromForm(parseInput(segmentFormSchema, req.body, 'form'));
    const preview = await api.send<PreviewAnswer>(signedIn(req).session.access_token, 'POST', '/reports/segments/preview', { filter });
    res.setHeader('Cache-Control', 'no-store');
    res.json({ filter, ...preview, sample: undefined });
  });

  /**
   * Runs an action and goes to the page it names; a refusal of the API (a 4xx: the segment was
   * deleted in another tab, the pre-order segment exists already, no update:segments) is shown on
   * the page, with the builder as it was.
   */
  async function act(req: Request, res: Response, raw: SegmentFormInput, run: () => Promise<string>) {
    let next: string;
    try {
      next = await run();
    } catch (err) {
      if (!(err instanceof ApiRefusal)) throw err;
      return showPage(req, res, raw, { error: err.message }, err.status);
    }
    res.redirect(303, next);
  }

  /** The form as typed, or the builder again saying what is wrong with it (a form, not the shopper's error page: nothing typed is lost). */
  async function checkedForm(req: Request, res: Response): Promise<SegmentForm | undefined> {
    const form = segmentFormSchema.safeParse(req.body);
    if (form.success) return form.data;
    await showPage(req, res, req.body as SegmentFormInput, { error: form.error.issues[0].message }, 400);
  }

  router.post('/admin/segments', async (req, res) => {
    const form = await checkedForm(req, res);
    if (!form) return;
    const raw = req.body as SegmentFormInput;
    if (!form.name) return showPage(req, res, raw, { error: 'Give the segment a name.' }, 400);
    await act(req, res, raw, async () => {
      const saved = await api.send<SegmentAnswer>(signedIn(req).session.access_token, 'POST', '/segments', { name: form.name, ...(form.description ? { description: form.description } : {}), filter: filterFromForm(form) });
      return `/admin/segments?saved=${encodeURIComponent(saved!.name)}`;
    });
  });

  router.post('/admin/segments/pre-order', async (req, res) => {
    await act(req, res, {}, async () => {
      const saved = await api.send<SegmentAnswer>(signedIn(req).session.access_token, 'POST', '/segments', {
        key: PREORDER_KEY, name: 'Pre-order: men 20–40 into fitness', description: 'The pre-order mail for the new running shoe.', filter: PREORDER_SEGMENT_FILTER,
      });
      return `/admin/segments?saved=${encodeURIComponent(saved!.name)}`;
    });
  });

  router.post('/admin/segments/:id/delete', async (req, res) => {
    const { id } = parseInput(idParams, req.params, 'params');
    const token = signedIn(req).session.access_token;
    await act(req, res, {}, async () => {
      const segment = await api.get<SegmentAnswer>(token, `/segments/${id}`);
      await api.send(token, 'DELETE', `/segments/${id}`);
      return `/admin/segments?deleted=${encodeURIComponent(segment.name)}`;
    });
  });

  router.get('/admin/segments/:id', async (req, res) => {
    const { id } = parseInput(idParams, req.params, 'params');
    const { from } = parseInput(pageQuery, req.query, 'query');
    const token = signedIn(req).session.access_token;
    const [segment, members] = await Promise.all([
      api.get<SegmentAnswer>(token, `/segments/${id}`),
      api.page<{ user_id: string; email?: string; name?: string; created_at: string; last_login?: string; logins_count?: number }>(token, `/segments/${id}/members`, { take: 50, from }),
    ]);
    await renderPage(kit, req, res, 'segment', { title: segment.name, segment, members });
  });

  router.get('/admin/segments/:id/members.csv', async (req, res) => {
    const { id } = parseInput(idParams, req.params, 'params');
    await passDownload(req, res, (signal) => api.stream(signedIn(req).session.access_token, 'GET', `/segments/${id}/members`, { format: 'csv' }, undefined, signal));
  });

  // The builder's list, not saved: the API's segment users report of the form's filter.
  router.post('/admin/segments/users.csv', async (req, res) => {
    const form = await checkedForm(req, res);
    if (!form) return;
    const filter = filterFromForm(form);
    await passDownload(req, res, (signal) => api.stream(signedIn(req).session.access_token, 'POST', '/reports/segments/users', { format: 'csv' }, { filter }, signal));
  });
  return router;
}
