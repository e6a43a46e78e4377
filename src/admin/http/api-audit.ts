import type { ErrorRequestHandler, Request, Response } from 'express';
import { toPublicError } from '../../http/middleware/error-handler.ts';
import type { LogService } from '../../logs/log.service.ts';
import type { AnyApiRoute } from './api-route.ts';

type Input = { params: unknown; query: unknown; body: unknown };
type Audit = NonNullable<AnyApiRoute['audit']>;

/** The route's parsed input, kept on the answer for the event of a refusal that comes after parsing. */
export function keepInput(res: Response, input: Input): void {
  res.locals.apiInput = input;
}

/** Auth0's `sapi` ("Success API Operation"): the write was done. */
export async function recordSuccess(logs: LogService, audit: Audit, req: Request, input: Input, reply: { status: number; body?: unknown }): Promise<void> {
  const who = subjectOf(audit, input);
  await record(logs, audit, req, 'sapi', { ...who, userId: who.userId ?? audit.replyUserId?.(reply.body) }, { status: reply.status });
}

/**
 * Auth0's `fapi` ("Failed API Operation") for a write refused by whatever refused it: the scope,
 * the upload, the input or the operation itself. It names the client and, as far as the request
 * says, the user (from the raw request when it was refused before its input was parsed); then the
 * error goes on to be answered.
 */
export function auditRefusals(audit: Audit, logs: LogService): ErrorRequestHandler {
  return async (err, req, res, next) => {
    const input = (res.locals.apiInput as Input | undefined) ?? { params: req.params, query: req.query, body: req.body ?? {} };
    await record(logs, audit, req, 'fapi', subjectOf(audit, input), toPublicError(err));
    next(err);
  };
}

/** Who the request is about; a raw (unparsed) input may hold anything, so only a string is taken. */
function subjectOf(audit: Audit, input: Input): { userId?: string; userName?: string } {
  const text = (pick?: (input: never) => unknown) => {
    try {
      const value = pick?.(input as never);
      return typeof value === 'string' ? value.slice(0, 300) : undefined;
    } catch {
      return undefined;
    }
  };
  return { userId: text(audit.userId), userName: text(audit.userName) };
}

/** Who (client), what (route), on whom (user). No bodies: they can hold passwords. */
async function record(logs: LogService, audit: Audit, req: Request, type: 'sapi' | 'fapi', who: { userId?: string; userName?: string }, outcome: { status: number; message?: string }): Promise<void> {
  const clientId = req.bearer?.clientId;
  await logs.record({
    type, description: audit.description,
    client_id: clientId, ip: req.ip, user_agent: req.get('user-agent')?.slice(0, 512), user_id: who.userId, user_name: who.userName,
    details: {
      request: { method: req.method, path: req.baseUrl + req.path, channel: 'api', auth: { strategy: 'jwt', client_id: clientId } },
      response: { statusCode: outcome.status },
      ...(outcome.message ? { error: outcome.message } : {}),
    },
  });
}
