import type { Writable } from 'node:stream';
import type { z } from 'zod';
import type { Bearer } from '../../http/edge/bearer.ts';
import type { ManagementScope } from '../management-api.ts';

type Infer<S> = S extends z.ZodType ? z.infer<S> : undefined;

/** Who calls, from where: what a handler may need beyond its parsed input. */
export interface ApiCall {
  bearer: Bearer;
  ip?: string;
  userAgent?: string;
  /** The request's own URL as the client sees it (issuer-based), for Link headers and job locations. */
  url: URL;
}

export interface ApiReply {
  status: number;
  /** Checked against the route's response schema before it is sent: undeclared fields never leave. */
  body?: unknown;
  headers?: Record<string, string>;
}

export interface ResponseSpec {
  description: string;
  schema?: z.ZodType;
  /** Default application/json. */
  contentType?: string;
  /** Headers this answer may carry beyond the rate-limit ones (name → what it holds), for the OpenAPI document. */
  headers?: Record<string, string>;
  /** The same answer in other media types, which the handler streams itself (media type → what it holds). */
  alternatives?: Record<string, string>;
}

/**
 * One Management API endpoint, declared once: the router validates with these schemas and the
 * OpenAPI document is generated from the very same ones, so the two cannot drift apart.
 */
export interface ApiRoute<P = unknown, Q = unknown, B = unknown> {
  method: 'get' | 'post' | 'patch' | 'delete';
  /** OpenAPI style: `/users/{id}`. */
  path: string;
  tag: string;
  summary: string;
  description?: string;
  /** Any one of these scopes is enough (Auth0: "expected any of"); `{ allOf }`: each one is needed ("expected all of"). */
  scopes: readonly ManagementScope[] | { allOf: readonly ManagementScope[] };
  params?: P;
  query?: Q;
  body?: B;
  /**
   * The body is multipart/form-data (not JSON): its fields and the one file named `file` (as UTF-8
   * text, at most `maxBytes`) become the body that `body` then validates.
   */
  multipart?: { file: string; maxBytes: number };
  responses: Record<number, ResponseSpec>;
  /** A write: recorded as an Auth0 `sapi`/`fapi` log event naming the user it touched. */
  audit?: {
    description: string;
    userId?: (input: RouteInput<P, Q, B>) => string | undefined;
    /** When the request names its user by identifier (email), not by id: recorded as user_name. */
    userName?: (input: RouteInput<P, Q, B>) => string | undefined;
    /** When only the answer knows the user (one the request created): its id, from the reply's body. */
    replyUserId?: (body: unknown) => string | undefined;
  };
  /** Either a reply to validate and send, or `undefined` after streaming the answer to `res` itself. */
  handle(input: RouteInput<P, Q, B>, call: ApiCall, res: Writable & { setHeader(name: string, value: string): unknown }): Promise<ApiReply | undefined>;
}

export interface RouteInput<P, Q, B> { params: Infer<P>; query: Infer<Q>; body: Infer<B> }

/** Type inference for a route's handler from its schemas. */
export function defineRoute<P extends z.ZodType | undefined = undefined, Q extends z.ZodType | undefined = undefined, B extends z.ZodType | undefined = undefined>(
  route: ApiRoute<P, Q, B>,
): ApiRoute<P, Q, B> {
  return route;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyApiRoute = ApiRoute<any, any, any>;
