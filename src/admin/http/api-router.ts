import { isUtf8 } from 'node:buffer';
import express, { Router, type RequestHandler, type Response } from 'express';
import { z } from 'zod';
import { requireAllScopes, requireBearer, requireScope, type VerifyBearer } from '../../http/edge/bearer.ts';
import { parseInput } from '../../http/edge/input.ts';
import { multipartBody } from '../../http/edge/multipart.ts';
import { requireDatabase } from '../../http/middleware/database-ready.ts';
import { BadRequestError } from '../../errors/app-error.ts';
import { isWellFormedJson } from '../../lib/well-formed-text.ts';
import type { LogService } from '../../logs/log.service.ts';
import type { StandingOf } from '../../users/role-standing.ts';
import type { AnyApiRoute, ApiCall } from './api-route.ts';
import { managementApiErrors, unknownEndpoint } from './api-errors.ts';
import { auditRefusals, keepInput, recordSuccess } from './api-audit.ts';
import { requireTokenUser } from './token-user.ts';

export interface ApiRouterDeps {
  routes: AnyApiRoute[];
  /** Served without a token: the OpenAPI document and the reference page. */
  publicRouter: Router;
  verify: VerifyBearer;
  /** Where the user of a token issued on a user's behalf stands now (role-standing.ts). */
  standingOf: StandingOf;
  rateLimit: RequestHandler;
  logs: LogService;
  issuer: string;
  isDatabaseReady: () => boolean;
}

const REALM = 'insole Management API';
const noInput = z.object({}).passthrough();

/** `/users/{id}` → `/users/:id`. */
const expressPath = (path: string) => path.replace(/\{(\w+)\}/g, ':$1');

/**
 * The Management API under /api/v2: database gate, public documents, then bearer token (and, for one
 * issued on a user's behalf, its user as they stand now), per-client rate limit, JSON bodies, and
 * each declared route with its scope check, input guard and response schema. Every error,
 * whatever raised it, leaves in Auth0's shape.
 */
export function createApiRouter(deps: ApiRouterDeps): Router {
  const router = Router();
  router.use(requireDatabase(deps.isDatabaseReady));
  router.use(deps.publicRouter);
  router.use(requireBearer(deps.verify, REALM), requireTokenUser(deps.standingOf, REALM));
  router.use(deps.rateLimit);
  router.use(express.json({ limit: '100kb', verify: refuseNonUtf8 }), refuseLoneSurrogates);
  for (const route of deps.routes) {
    // The scope first: an upload is read only for a client allowed to make it.
    const upload = route.multipart ? [multipartBody(route.multipart)] : [];
    // A write's refusal, whatever refuses it (scope, upload, input, operation), is an fapi event.
    const refusals = route.audit ? [auditRefusals(route.audit, deps.logs)] : [];
    const scope = 'allOf' in route.scopes ? requireAllScopes(...route.scopes.allOf) : requireScope(...route.scopes);
    router[route.method](expressPath(route.path), scope, ...upload, routeHandler(route, deps), ...refusals);
  }
  router.use(unknownEndpoint);
  router.use(managementApiErrors());
  return router;
}

/** JSON is UTF-8 (RFC 8259 §8.1): other bytes would be stored as U+FFFD, not as what was sent. As the import's file, refused. */
function refuseNonUtf8(_req: unknown, _res: unknown, body: Buffer): void {
  if (!isUtf8(body)) throw new BadRequestError('The request body is not UTF-8 text.', 'invalid_body');
}

/** The same for text that escapes half a surrogate pair (`"\ud800"`): valid JSON, but no Unicode text to store. */
const refuseLoneSurrogates: RequestHandler = (req, _res, next) => {
  if (!isWellFormedJson(req.body)) throw new BadRequestError('The request body holds text that is not Unicode (a lone surrogate \\uD800–\\uDFFF).', 'invalid_body');
  next();
};

function routeHandler(route: AnyApiRoute, { logs, issuer }: ApiRouterDeps): RequestHandler {
  return async (req, res) => {
    const input = {
      params: parseInput(route.params ?? noInput, req.params, 'params'),
      query: parseInput(route.query ?? noInput, req.query, 'query'),
      body: route.body ? parseInput(route.body, req.body, 'body') : undefined,
    };
    keepInput(res, input);
    const call: ApiCall = { bearer: req.bearer!, ip: req.ip, userAgent: req.get('user-agent')?.slice(0, 512), url: new URL(req.originalUrl, issuer) };
    const reply = await route.handle(input, call, res);
    if (route.audit) await recordSuccess(logs, route.audit, req, input, { status: reply?.status ?? res.statusCode, body: reply?.body });
    if (reply) send(res, route, reply);
  };
}

function send(res: Response, route: AnyApiRoute, reply: NonNullable<Awaited<ReturnType<AnyApiRoute['handle']>>>): void {
  const spec = route.responses[reply.status];
  if (!spec) throw new Error(`${route.method.toUpperCase()} ${route.path} answered ${reply.status}, which it does not declare`);
  for (const [name, value] of Object.entries(reply.headers ?? {})) res.setHeader(name, value);
  res.status(reply.status);
  // Parsing strips what the schema does not declare: a field added to a document cannot leak here.
  if (spec.schema) res.json(spec.schema.parse(reply.body));
  else res.end();
}
