import type { LogDoc, LogModel } from './log.model.ts';

/**
 * A filter over `logs` that insole built itself: `{ user_id }` from a validated path parameter, or
 * what the log-search compiler made of `q` (known fields and literal values only). Never a raw
 * request value.
 */
export type LogFilter = Record<string, unknown>;

export interface LogPageQuery { filter: LogFilter; direction: 1 | -1; skip: number; limit: number }

export type LogRepository = ReturnType<typeof createLogRepository>;

/** Reads of the `logs` collection for the Management API: pages in date order, checkpoints in log_id order. */
export function createLogRepository(logs: LogModel) {
  return {
    findByLogId(logId: string): Promise<LogDoc | null> {
      return logs.findOne({ log_id: String(logId) }, { _id: 0, outbox_pending: 0 }).lean<LogDoc>().exec();
    },

    /**
     * One page in date order, ties broken by log_id (the indexes end with it). An aggregation, because
     * mongoose's sanitizeFilter would otherwise neutralise the operators of a compiled search.
     */
    page({ filter, direction, skip, limit }: LogPageQuery): Promise<LogDoc[]> {
      return logs.aggregate<LogDoc>([
        { $match: filter },
        { $sort: { date: direction, log_id: direction } },
        { $skip: skip },
        { $limit: limit },
        { $project: { _id: 0, outbox_pending: 0 } }, // the outbox marker of a log written moments ago is not Auth0's
      ]).exec();
    },

    async count(filter: LogFilter): Promise<number> {
      const [row] = await logs.aggregate<{ n: number }>([{ $match: filter }, { $count: 'n' }]).exec();
      return row?.n ?? 0;
    },

    /**
     * Auth0's checkpoint: the `take` logs whose log_id comes after `from`, in log_id order (from the
     * very first one without `from`). log_ids start with their time, so this is also the order they
     * were written in; the unique log_id index serves it at any depth.
     */
    after(from: string | undefined, take: number, filter: LogFilter = {}): Promise<LogDoc[]> {
      const after = from === undefined ? {} : { log_id: { $gt: String(from) } };
      return logs.aggregate<LogDoc>([
        { $match: Object.keys(filter).length ? { $and: [filter, after] } : after },
        { $sort: { log_id: 1 } },
        { $limit: take },
        { $project: { _id: 0, outbox_pending: 0 } }, // the outbox marker of a log written moments ago is not Auth0's
      ]).exec();
    },
  };
}
