import { setTimeout as delay } from 'node:timers/promises';
import { Router, type Response } from 'express';
import { z } from 'zod';
import { AppError } from '../../errors/app-error.ts';
import { parseInput } from '../../http/edge/input.ts';
import { STANDING_TTL_MS, type StandingOf } from '../../users/role-standing.ts';
import type { LiveFeed } from '../live/live-feed.ts';
import { ENDED_ELSEWHERE_MESSAGE, endedSession } from '../session/follow-standing.ts';
import { signedIn, type DashboardUser } from '../session/session-guard.ts';
import { insoleSessionKey, sessionKey } from '../session/session-key.ts';

const liveQuery = z.object({ since: z.iso.datetime().optional() }).strict();
const HEARTBEAT_MS = 15_000;
/**
 * How often a stream asks again where its user stands (a read shared by the user's streams, at most
 * one per role-standing.ts's 5 s): a block, a deletion or the loss of read:logs ends it within this
 * plus those 5 s, 10 s in all, as the Management API would refuse the token by then.
 */
export const LIVE_RECHECK_MS = 5000;

interface LiveDeps { feed: LiveFeed; verify: (token: string) => Promise<unknown>; standingOf: StandingOf; open: Set<() => void> }

/** Why the user may no longer watch (the `ended` event's words), or nothing. */
async function refusal(standingOf: StandingOf, user: DashboardUser): Promise<string | undefined> {
  const standing = await standingOf(user.sub);
  const ended = endedSession(standing);
  if (ended) return ended.message;
  if (standing.status === 'active' && !standing.scopes.has('read:logs')) return 'Live activity needs the read:logs scope, which your dashboard role no longer gives.';
  return undefined;
}

/**
 * Why insole's session ended elsewhere: a block or a deletion ends it too, and then says so, as the
 * pages do. Asked once the user's standing read before the end has expired (role-standing.ts), so
 * the answer is from after it.
 */
async function endedElsewhere(standingOf: StandingOf, user: DashboardUser): Promise<string> {
  await delay(STANDING_TTL_MS, undefined, { ref: false });
  const standing = await standingOf(user.sub).catch(() => undefined);
  return (standing && endedSession(standing)?.message) ?? ENDED_ELSEWHERE_MESSAGE;
}

/**
 * GET /admin/live: server-sent events for the open dashboard. `signin` events carry one sign-in
 * (masked, see live-events.ts) and what it adds to the counters. The stream lives as long as the
 * access token: at its expiry an `expired` event ends it, and the page's script (live.js) opens
 * it again, one tab at a time, through the session check (renewed, or refused with a 401). It ends
 * sooner with an `ended` event saying why: when its session signs out (on any instance: within the
 * feed's one-second poll), or insole's session it signed in with ends elsewhere (back-channel logout:
 * the same poll, then STANDING_TTL_MS to tell a block or a deletion from a sign-out), or its user
 * is deleted, blocked or loses read:logs (LIVE_RECHECK_MS).
 */
export function liveRoutes({ feed, verify, standingOf, open }: LiveDeps): Router {
  const router = Router();
  router.get('/admin/live', async (req, res) => {
    const { session, user } = signedIn(req);
    const { since } = parseInput(liveQuery, req.query, 'query');
    if (!user.scopes.has('read:logs')) throw new AppError('insufficient_scope', 403, 'Live activity needs the read:logs scope.');
    // Still the token insole issued, unexpired (followStanding has checked its user, as they stand now).
    await verify(session.access_token);
    res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-store', 'x-accel-buffering': 'no', connection: 'keep-alive' });
    res.write('retry: 3000\n\n');
    const timers = [
      setInterval(() => res.write(': keep-alive\n\n'), HEARTBEAT_MS),
      setInterval(() => void refusal(standingOf, user).then((why) => why && endWith('ended', why), () => { /* unreadable now: asked again next time */ }), LIVE_RECHECK_MS),
      setTimeout(() => endWith('expired', undefined), Math.max(0, session.expires_at * 1000 - Date.now())),
    ];
    const key = sessionKey(session.sid);
    const insoleKey = session.insole_sid === undefined ? undefined : insoleSessionKey(session.insole_sid);
    const stopSignOuts = feed.onSignOut((signedOut) => {
      if (signedOut === key) endWith('ended', 'You signed out of the dashboard.');
      else if (signedOut === insoleKey) void endedElsewhere(standingOf, user).then((why) => { if (!res.writableEnded) endWith('ended', why); });
    });
    let unsubscribe: (() => void) | undefined;
    const end = () => {
      for (const timer of timers) clearTimeout(timer);
      stopSignOuts();
      unsubscribe?.();
      open.delete(end);
      res.end();
    };
    const endWith = (event: 'ended' | 'expired', message: string | undefined) => {
      if (!res.writableEnded) writeEvent(res, event, message ? { message } : {});
      end();
    };
    open.add(end);
    res.on('close', end);
    unsubscribe = await feed.subscribe((event) => writeEvent(res, 'signin', event, event.id), since ? new Date(since) : undefined);
    if (res.writableEnded) unsubscribe();
  });
  return router;
}

function writeEvent(res: Response, event: string, data: object, id?: string): void {
  res.write(`event: ${event}\n${id ? `id: ${id}\n` : ''}data: ${JSON.stringify(data)}\n\n`);
}
