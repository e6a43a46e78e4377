import type { Logger } from '../../lib/logger.ts';
import type { LogModel } from '../../logs/log.model.ts';
import type { UserModel } from '../../users/user.model.ts';
import { toLiveSignIn, type LiveLog, type LiveSignIn } from './live-events.ts';

export type LiveFeed = ReturnType<typeof createLiveFeed>;
type Listener = (event: LiveSignIn) => void;
/** Told the key of a dashboard session signed out, or of an insole session ended elsewhere (session-key.ts), on whichever instance. */
type SignOutListener = (sessionKey: string) => void;
/** At most this many sign-ins are kept for replay (a few MB): over 1,500 a minute for the default keepMs of 6 minutes. */
const KEPT_EVENTS = 10_000;

/** keepMs: how far back a new page's `since` may reach (at least a minute): the age of the roll-ups its counters come from, and some. */
export interface LiveFeedOptions { pollMs: number; lookbackMs: number; keepMs?: number; now?: () => Date }

/**
 * Sign-ins for the open dashboards of this instance, from the `logs` collection that every
 * instance writes to: whichever instance a shopper signed in on, each instance's poller reads it,
 * so no instance needs to hear from another. It polls once a second while anyone is watching (and
 * not at all otherwise) for `s`/`ss` events of the last `lookbackMs`, in log_id order, and passes
 * on those not seen yet. Why a look-back window rather than "after the last log_id": a log_id is
 * made before its insert, so an earlier id can land after a later one (two instances, a slow
 * write, clocks a little apart); the window catches it and the seen-set keeps it from repeating.
 * The most recent events are kept for `keepMs` (a minute by default), for a dashboard that opens after its numbers were read;
 * the first watcher's poll reads that far back, so they are there even when nobody was watching before.
 * The same read brings the dashboard's sign-outs (`slo` naming a dashboard session, or the insole
 * session a back-channel logout ended): the streams of that session end, on every instance, within a poll.
 */
export function createLiveFeed({ logs, users, logger }: { logs: LogModel; users: UserModel; logger: Logger }, options: LiveFeedOptions) {
  const now = options.now ?? (() => new Date());
  const keepMs = Math.max(60_000, options.keepMs ?? 0);
  const listeners = new Set<Listener>();
  const signOutListeners = new Set<SignOutListener>();
  const seen = new Map<string, number>();
  const recent: LiveSignIn[] = [];
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;
  let starting: Promise<void> | undefined;

  async function poll(announce: boolean, lookbackMs = options.lookbackMs, limit = 1000): Promise<void> {
    const since = new Date(now().getTime() - lookbackMs);
    const found = await logs.collection.find<LiveLog>({ type: { $in: ['s', 'ss', 'slo'] }, date: { $gte: since } }, {
      sort: { log_id: 1 }, limit, projection: { _id: 0, log_id: 1, date: 1, type: 1, connection: 1, ip: 1, user_id: 1, user_name: 1, 'details.signed_in': 1, 'details.dashboard_session': 1, 'details.insole_session': 1 },
    }).toArray();
    const unseen = found.filter((log) => !seen.has(log.log_id));
    for (const [id, at] of seen) if (at < since.getTime()) seen.delete(id);
    for (const log of unseen.filter((l) => l.type === 'slo')) {
      seen.set(log.log_id, log.date.getTime());
      for (const key of [log.details?.dashboard_session, log.details?.insole_session]) {
        if (announce && typeof key === 'string') for (const listener of signOutListeners) listener(key);
      }
    }
    const fresh = unseen.filter((log) => log.type !== 'slo');
    if (!fresh.length) return;
    const ids = [...new Set(fresh.map((log) => log.user_id).filter((id): id is string => Boolean(id)))];
    const profiles = new Map((await users.collection.find<{ user_id: string; name?: string; email?: string }>({ user_id: { $in: ids } }, { projection: { _id: 0, user_id: 1, name: 1, email: 1 } }).toArray())
      .map((u) => [u.user_id, u]));
    for (const log of fresh) {
      seen.set(log.log_id, log.date.getTime());
      const event = toLiveSignIn(log, log.user_id ? profiles.get(log.user_id) : undefined);
      recent.push(event);
      if (announce) for (const listener of listeners) listener(event);
    }
    const keepFrom = now().getTime() - keepMs;
    while (recent.length && (recent.length > KEPT_EVENTS || Date.parse(recent[0].at) < keepFrom)) recent.shift();
  }

  function schedule(): void {
    timer = setTimeout(() => {
      running = poll(true).catch((err: Error) => logger.warn({ err: { message: err.message } }, 'live feed: could not read the logs'))
        .finally(() => { running = undefined; if (listeners.size) schedule(); else timer = undefined; });
    }, options.pollMs);
    timer.unref();
  }

  return {
    /** Starts watching; `since` replays the kept events after that moment (those the page's numbers do not hold yet). */
    async subscribe(listener: Listener, since?: Date): Promise<() => void> {
      if (!timer && !running) {
        // What happened before anyone watched is history, not news: marked seen, kept for `since`.
        starting ??= poll(false, keepMs, KEPT_EVENTS).then(schedule).finally(() => { starting = undefined; });
        await starting;
      }
      listeners.add(listener);
      if (since) for (const event of recent) if (Date.parse(event.at) > since.getTime()) listener(event);
      return () => { listeners.delete(listener); };
    },
    /** Until the returned function is called, `listener` hears of each dashboard sign-out read while sign-ins are watched. */
    onSignOut(listener: SignOutListener): () => void {
      signOutListeners.add(listener);
      return () => { signOutListeners.delete(listener); };
    },
    get watchers() { return listeners.size; },
    async stop(): Promise<void> {
      listeners.clear();
      signOutListeners.clear();
      clearTimeout(timer);
      timer = undefined;
      await running;
    },
  };
}
