import type { z } from 'zod';
import pkg from '../../../package.json' with { type: 'json' };
import { managementAudience, SCOPE_DESCRIPTIONS } from '../management-api.ts';
import { auth0ErrorSchema } from './api-errors.ts';
import type { AnyApiRoute } from './api-route.ts';
import { createSchemaComponents, type JsonSchema, type SchemaComponents } from './openapi-schemas.ts';
import { COMMON_RESPONSES, describeResponses, RATE_LIMIT_HEADERS } from './openapi-responses.ts';

export interface OpenApiOptions {
  issuer: string;
  /** The human-readable reference, linked as the document's externalDocs. */
  referenceUrl: string;
}

export type OpenApiDocument = Record<string, unknown> & {
  paths: Record<string, Record<string, OpenApiOperation>>;
  components: { schemas: Record<string, JsonSchema> } & Record<string, unknown>;
};

export interface OpenApiOperation {
  operationId: string;
  tags: string[];
  summary: string;
  description?: string;
  parameters?: OpenApiParameter[];
  requestBody?: { required: boolean; content: Record<string, { schema: JsonSchema }> };
  responses: Record<string, unknown>;
  security: Record<string, string[]>[];
}

export interface OpenApiParameter { name: string; in: 'path' | 'query'; required: boolean; description?: string; schema: JsonSchema }

export const SECURITY_SCHEME = 'management_api';

/**
 * The OpenAPI 3.1 document of the Management API, generated from the very route declarations and
 * zod schemas the router validates with: a route added to the area's list is documented, and a
 * schema change shows here, without a second description to keep in step. Requests are described
 * as clients send them (zod input: query strings before coercion), responses as the server sends
 * them (zod output, undeclared fields forbidden, since the router strips them).
 */
export function buildOpenApiDocument(routes: readonly AnyApiRoute[], { issuer, referenceUrl }: OpenApiOptions): OpenApiDocument {
  const schemas = createSchemaComponents();
  schemas.toSchema(auth0ErrorSchema, 'output');
  // Every response before any request: see createSchemaComponents on ids used both ways.
  const responses = routes.map((route) => inContext(route, () => describeResponses(route, schemas)));
  const paths: OpenApiDocument['paths'] = {};
  const operationIds = new Set<string>();
  routes.forEach((route, i) => {
    const operation = inContext(route, () => describeOperation(route, responses[i], schemas));
    if (operationIds.has(operation.operationId)) throw new Error(`Two routes make the operationId ${operation.operationId}.`);
    operationIds.add(operation.operationId);
    paths[route.path] ??= {};
    if (paths[route.path][route.method]) throw new Error(`${route.method.toUpperCase()} ${route.path} is declared twice.`);
    paths[route.path][route.method] = operation;
  });
  return {
    openapi: '3.1.1',
    info: {
      title: 'insole Management API',
      version: pkg.version,
      description: 'Auth0-compatible Management API v2. Get an access token with the client credentials grant at ' +
        `\`${issuer}/oauth/token\` and \`audience\` = \`${managementAudience(issuer)}\`; it carries the scopes granted to the client.`,
    },
    externalDocs: { description: 'API reference', url: referenceUrl },
    servers: [{ url: `${issuer}/api/v2` }],
    tags: [...new Set(routes.map((route) => route.tag))].map((name) => ({ name })),
    paths,
    components: {
      schemas: schemas.components,
      responses: COMMON_RESPONSES,
      headers: RATE_LIMIT_HEADERS,
      securitySchemes: {
        [SECURITY_SCHEME]: {
          type: 'oauth2',
          description: `Machine-to-machine access token (RS256 JWT) for the audience ${managementAudience(issuer)}.`,
          // Auth0's token request names the API (`audience`); the reference page adds it for "Authorize".
          'x-audience': managementAudience(issuer),
          flows: { clientCredentials: { tokenUrl: `${issuer}/oauth/token`, scopes: SCOPE_DESCRIPTIONS } },
        },
      },
    },
  };
}

function describeOperation(route: AnyApiRoute, responses: Record<string, unknown>, schemas: SchemaComponents): OpenApiOperation {
  const parameters = [...pathParameters(route, schemas), ...objectParameters(route.query, 'query', schemas)];
  return {
    operationId: operationIdOf(route),
    tags: [route.tag],
    summary: route.summary,
    ...(route.description ? { description: route.description } : {}),
    ...(parameters.length ? { parameters } : {}),
    ...(route.body ? { requestBody: { required: true, content: { 'application/json': { schema: schemas.toSchema(route.body, 'input') } } } } : {}),
    responses,
    // Security requirements in a list are alternatives: one entry per scope says "any one of these",
    // which is what the router checks (Auth0: "Insufficient scope, expected any of: …"); the scopes
    // of one entry are all needed (allOf).
    security: 'allOf' in route.scopes ? [{ [SECURITY_SCHEME]: [...route.scopes.allOf] }] : route.scopes.map((scope) => ({ [SECURITY_SCHEME]: [scope] })),
  };
}

/** Auth0's style: `GET /users/{id}` → `get_users_by_id`. */
function operationIdOf(route: AnyApiRoute): string {
  const words = route.path.split('/').filter(Boolean).map((segment) => segment.replace(/^\{(\w+)\}$/, 'by_$1').replace(/-/g, '_'));
  return [route.method, ...words].join('_');
}

function pathParameters(route: AnyApiRoute, schemas: SchemaComponents): OpenApiParameter[] {
  const templated = [...route.path.matchAll(/\{(\w+)\}/g)].map((match) => match[1]);
  const declared = objectParameters(route.params, 'path', schemas);
  const names = declared.map((parameter) => parameter.name);
  const missing = templated.filter((name) => !names.includes(name));
  const extra = names.filter((name) => !templated.includes(name));
  if (missing.length || extra.length) throw new Error(`the path parameters {${templated.join('}, {')}} and the params schema (${names.join(', ')}) disagree.`);
  return declared.map((parameter) => ({ ...parameter, required: true }));
}

/** Each property of a params or query object → one parameter; `anyOf` objects merge, required only when every branch requires it. */
function objectParameters(schema: z.ZodType | undefined, where: 'path' | 'query', schemas: SchemaComponents): OpenApiParameter[] {
  if (!schema) return [];
  const root = schemas.resolve(schemas.toSchema(schema, 'input'));
  const branches = ((root.anyOf ?? root.oneOf ?? [root]) as JsonSchema[]).map(schemas.resolve);
  if (branches.some((branch) => branch.type !== 'object')) throw new Error(`the ${where} schema must be an object (or a union of objects).`);
  const parameters = new Map<string, OpenApiParameter>();
  for (const branch of branches) {
    for (const [name, property] of Object.entries((branch.properties ?? {}) as Record<string, JsonSchema>)) {
      if (parameters.has(name)) continue;
      const { description, ...propertySchema } = property;
      const required = branches.every((b) => ((b.required ?? []) as string[]).includes(name));
      parameters.set(name, { name, in: where, required, ...(typeof description === 'string' ? { description } : {}), schema: propertySchema });
    }
  }
  return [...parameters.values()];
}

function inContext<T>(route: AnyApiRoute, build: () => T): T {
  try {
    return build();
  } catch (err) {
    throw new Error(`OpenAPI: ${route.method.toUpperCase()} ${route.path}: ${(err as Error).message}`, { cause: err });
  }
}
