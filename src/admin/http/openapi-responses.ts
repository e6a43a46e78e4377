import type { AnyApiRoute } from './api-route.ts';
import type { JsonSchema, SchemaComponents } from './openapi-schemas.ts';

const ERROR = { $ref: '#/components/schemas/Error' };
const errorContent = (statusCode: number, error: string, message: string, errorCode: string) => ({
  'application/json': { schema: ERROR, example: { statusCode, error, message, errorCode } },
});

/** Sent on every answer past the bearer check, as Auth0 sends them (see client-rate-limit.ts). */
export const RATE_LIMIT_HEADERS = {
  'x-ratelimit-limit': { description: 'Requests this client may make in the window.', schema: { type: 'integer' } },
  'x-ratelimit-remaining': { description: 'Requests left in the window.', schema: { type: 'integer' } },
  'x-ratelimit-reset': { description: 'When the window ends, in seconds since the Unix epoch.', schema: { type: 'integer' } },
};
const rateLimitHeaders = Object.fromEntries(Object.keys(RATE_LIMIT_HEADERS).map((name) => [name, { $ref: `#/components/headers/${name}` }]));

/**
 * What the router itself may answer for any route, whatever the route declares: a bad input (400),
 * no or a bad token (401, before the rate limit), a missing scope (403), the rate limit (429), a
 * failure on the server (500), the database unreachable (503, before anything else).
 */
export const COMMON_RESPONSES = {
  BadRequest: {
    description: 'A path parameter, query parameter or body property is not valid.', headers: rateLimitHeaders,
    content: errorContent(400, 'Bad Request', 'Query parameter "fields": unknown field(s): password.', 'invalid_query_string'),
  },
  Unauthorized: {
    description: 'No token, a token that is not a valid Management API access token, or one issued on behalf of a user since deleted or blocked.',
    content: errorContent(401, 'Unauthorized', 'Missing authentication', 'missing_authentication'),
  },
  Forbidden: {
    description: "The token lacks the scope this operation needs (one issued on a user's behalf: a scope the user's dashboard roles still give).", headers: rateLimitHeaders,
    content: errorContent(403, 'Forbidden', 'Insufficient scope, expected any of: update:users', 'insufficient_scope'),
  },
  TooManyRequests: {
    description: 'Rate limit reached: wait until x-ratelimit-reset.', headers: rateLimitHeaders,
    content: errorContent(429, 'Too Many Requests', 'Global limit has been reached', 'too_many_requests'),
  },
  ServerError: {
    description: 'Something failed on the server (`server_error`, nothing more said), or a stored user lacks a field every user needs (`invalid_stored_user`, naming the user and the field: one written straight into MongoDB without user_id or created_at).',
    content: errorContent(500, 'Internal Server Error', "The stored user auth0|65f0… has no created_at (a BSON date): mend the document in MongoDB's users collection.", 'invalid_stored_user'),
  },
  ServiceUnavailable: {
    description: 'The database is unreachable; retry after Retry-After seconds.',
    content: errorContent(503, 'Service Unavailable', 'The service is temporarily unavailable. Please try again shortly.', 'temporarily_unavailable'),
  },
};

const ALWAYS = [[401, 'Unauthorized'], [403, 'Forbidden'], [429, 'TooManyRequests'], [500, 'ServerError'], [503, 'ServiceUnavailable']] as const;

/** The route's declared answers (errors get Auth0's body when they name no schema), plus the router's own. */
export function describeResponses(route: AnyApiRoute, schemas: SchemaComponents): Record<string, unknown> {
  const responses: Record<string, unknown> = {};
  for (const [status, spec] of Object.entries(route.responses)) {
    const schema: JsonSchema | undefined = spec.schema ? schemas.toSchema(spec.schema, 'output') : Number(status) >= 400 ? ERROR : undefined;
    const alternatives = Object.entries(spec.alternatives ?? {}).map(([type, description]) => [type, { schema: { type: 'string', description } }]);
    const main = schema || spec.contentType ? { [spec.contentType ?? 'application/json']: schema ? { schema } : {} } : undefined;
    const content = main || alternatives.length ? { ...main, ...Object.fromEntries(alternatives) } : undefined;
    const own = Object.fromEntries(Object.entries(spec.headers ?? {}).map(([name, description]) => [name, { description, schema: { type: 'string' } }]));
    responses[status] = { description: spec.description, headers: { ...rateLimitHeaders, ...own }, ...(content ? { content } : {}) };
  }
  if (route.params || route.query || route.body) responses[400] ??= { $ref: '#/components/responses/BadRequest' };
  for (const [status, name] of ALWAYS) responses[status] ??= { $ref: `#/components/responses/${name}` };
  return responses;
}
