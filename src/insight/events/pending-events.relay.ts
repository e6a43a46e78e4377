import type { EventOutbox } from '../../events/event-outbox.ts';
import type { EventMessage } from '../../events/event-message.ts';
import type { Logger } from '../../lib/logger.ts';
import { HAS_PENDING_EVENTS, type PendingEvent, type UserDoc, type UserModel } from '../../users/user.model.ts';

export interface PendingEventsRelay {
  /** Look now (after a local write that left events), not at the next poll. */
  wake(): void;
  stop(): Promise<void>;
}

const BATCH = 100;

/** An insight event as RabbitMQ carries it: the shape of a log event (consumers de-duplicate on log_id), routing key = type. */
export function toMessage(user: Pick<UserDoc, 'user_id' | 'email'>, event: PendingEvent): EventMessage {
  const details = JSON.parse(JSON.stringify(event.data)) as Record<string, unknown>; // dates as ISO strings
  return { log_id: event.id, type: event.type, date: new Date(event.at).toISOString(), user_id: user.user_id, ...(user.email ? { user_name: user.email } : {}), details };
}

/**
 * Moves the events stored with user writes (`pending_events`) to the event outbox, then removes
 * them from the user. A crash in between only repeats the move, which the outbox ignores (the
 * event id is taken), so every event reaches RabbitMQ at least once and is never lost.
 */
export function startPendingEventsRelay({ users, outbox, logger, pollMs }: { users: UserModel; outbox: EventOutbox; logger: Logger; pollMs: number }): PendingEventsRelay {
  const collection = users.collection;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;
  let stopped = false;

  async function drain(): Promise<void> {
    for (;;) {
      const batch = await collection.find<Pick<UserDoc, 'user_id' | 'email' | 'pending_events'>>(
        HAS_PENDING_EVENTS,
        { projection: { user_id: 1, email: 1, pending_events: 1 }, sort: { 'pending_events.0.at': 1 }, limit: BATCH },
      ).toArray();
      for (const user of batch) {
        const events = user.pending_events ?? [];
        await outbox.enqueue(events.map((event) => toMessage(user, event)));
        const moved = { $pull: { pending_events: { id: { $in: events.map((e) => e.id) } } } };
        await collection.updateOne({ user_id: user.user_id }, moved as unknown as Parameters<typeof collection.updateOne>[1]);
      }
      if (batch.length < BATCH || stopped) return;
    }
  }

  function run(): void {
    clearTimeout(timer);
    if (stopped) return;
    running ??= drain()
      .catch((err: Error) => logger.warn({ err: { message: err.message } }, 'could not move insight events to the outbox; retrying'))
      .finally(() => {
        running = undefined;
        if (!stopped) timer = setTimeout(run, pollMs);
      });
  }
  run();

  return {
    wake: () => { if (!running) run(); },
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await running;
    },
  };
}
