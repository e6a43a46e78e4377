import { Router } from 'express';
import { z } from 'zod';
import { AppError } from '../../errors/app-error.ts';
import { parseInput } from '../../http/edge/input.ts';
import type { LiveFeed } from '../live/live-feed.ts';
import { signedIn } from '../session/session-guard.ts';

const liveQuery = z.object({ since: z.iso.datetime().optional() }).strict();
const HEARTBEAT_MS = 15_000;

/**
 * GET /admin/live: server-sent events for the open dashboard. `signin` events carry one sign-in
 * (masked, see live-events.ts) and what it adds to the counters. The stream lives as long as the
 * access token: at its expiry an `expired` event ends it, and the page's script (live.js) opens
 * it again, one tab at a time, through the session check (renewed, or refused with a 401). Needs
 * read:logs, as the logs do.
 */
export function liveRoutes({ feed, verify, open }: { feed: LiveFeed; verify: (token: string) => Promise<unknown>; open: Set<() => void> }): Router {
  const router = Router();
  router.get('/admin/live', async (req, res) => {
    const { session, user } = signedIn(req);
    const { since } = parseInput(liveQuery, req.query, 'query');
    if (!user.scopes.has('read:logs')) throw new AppError('insufficient_scope', 403, 'Live activity needs the read:logs scope.');
    await verify(session.access_token); // still the token insole issued, unexpired
    res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-store', 'x-accel-buffering': 'no', connection: 'keep-alive' });
    res.write('retry: 3000\n\n');
    const end = () => {
      clearInterval(heartbeat);
      clearTimeout(expiry);
      unsubscribe?.();
      open.delete(end);
      res.end();
    };
    open.add(end);
    const heartbeat = setInterval(() => res.write(': keep-alive\n\n'), HEARTBEAT_MS);
    const expiry = setTimeout(() => { res.write('event: expired\ndata: {}\n\n'); end(); }, Math.max(0, session.expires_at * 1000 - Date.now()));
    let unsubscribe: (() => void) | undefined;
    res.on('close', end);
    unsubscribe = await feed.subscribe((event) => res.write(`event: signin\nid: ${event.id}\ndata: ${JSON.stringify(event)}\n\n`), since ? new Date(since) : undefined);
    if (res.writableEnded) unsubscribe();
  });
  return router;
}
