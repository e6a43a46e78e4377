import assert from 'node:assert/strict';
import { MANAGEMENT_SCOPES } from '../src/admin/management-api.ts';
import { after, before, describe, test } from 'node:test';
import { Validator } from '@seriousme/openapi-schema-validator';
import type { OpenApiDocument } from '../src/admin/http/openapi-document.ts';
import { startTestInsole, type TestInsole } from './support/insole.ts';
import { api, m2mClientConfig, managementToken } from './support/management.ts';
import { assertExamplesMatch, assertMatchesOpenApi } from './support/openapi-check.ts';

const ADMIN = { client_id: 'openapi-admin', client_secret: 'openapi-admin-secret-0123456789abcdef', scopes: ['read:users', 'create:users', 'update:users', 'delete:users', 'read:logs', 'read:stats'] };
const READER = { client_id: 'openapi-reader', client_secret: 'openapi-reader-secret-0123456789abcdef', scopes: ['read:users'] };
const PASSWORD_USER = { connection: 'Username-Password-Authentication', password: 'a long enough secret' };

/** The example body of one of the document's shared responses (BadRequest, Unauthorized, …). */
const exampleOf = (doc: OpenApiDocument, response: string) =>
  (doc.components as unknown as { responses: Record<string, { content: Record<string, { example: unknown }> }> }).responses[response].content['application/json'].example;

/** `/users/:id` (Express) → `/users/{id}` (OpenAPI). */
const openApiPath = (expressPath: string) => expressPath.replace(/:(\w+)/g, '{$1}');

describe('OpenAPI document of the Management API', () => {
  let insole: TestInsole;
  let doc: OpenApiDocument;
  let admin: string;
  let reader: string;

  /** A real call, whose answer must be one the document describes. */
  async function checked(token: string | undefined, method: string, path: string, body?: unknown) {
    const res = await api(insole, token, method, path, body);
    assertMatchesOpenApi(doc, method, path, res.status, res.body);
    return res;
  }

  before(async () => {
    insole = await startTestInsole({
      clients: [m2mClientConfig(ADMIN), m2mClientConfig(READER)],
      admin_api: { rate_limit: { requests: 1000, window_seconds: 60 } },
    });
    doc = await (await fetch(`${insole.issuer}/api/v2/openapi.json`)).json() as OpenApiDocument;
    admin = (await managementToken(insole, ADMIN)).access_token;
    reader = (await managementToken(insole, READER)).access_token;
  });
  after(() => insole.stop());

  test('GET /api/v2/openapi.json needs no token, may be cached for a while, and is a valid OpenAPI 3.1 document', async () => {
    const res = await fetch(`${insole.issuer}/api/v2/openapi.json`);
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type')!, /^application\/json/);
    assert.equal(res.headers.get('cache-control'), 'public, max-age=300');
    const validator = new Validator();
    const result = await validator.validate(await res.json() as Parameters<Validator['validate']>[0]);
    assert.deepEqual(result, { valid: true });
    assert.equal(validator.version, '3.1');

    assert.deepEqual(doc.servers, [{ url: `${insole.issuer}/api/v2` }]);
    const scheme = (doc.components as unknown as { securitySchemes: Record<string, { flows: { clientCredentials: { tokenUrl: string; scopes: Record<string, string> } } }> }).securitySchemes.management_api;
    assert.equal(scheme.flows.clientCredentials.tokenUrl, `${insole.issuer}/oauth/token`);
    assert.deepEqual(Object.keys(scheme.flows.clientCredentials.scopes), [...MANAGEMENT_SCOPES]);
    assert.ok(doc.components.schemas.User && doc.components.schemas.Error, 'the profile and the error body are shared components');
    assertExamplesMatch(doc);
    const reference = await fetch((doc.externalDocs as { url: string }).url);
    assert.equal(reference.status, 200, 'externalDocs leads to the reference page');
  });

  test('every route of the area is in the document with its scopes, and the router serves nothing undocumented', () => {
    const { routes, apis: [{ router }] } = insole.admin;
    assert.ok(routes.length >= 6);
    for (const route of routes) {
      const operation = doc.paths[route.path]?.[route.method];
      assert.ok(operation, `${route.method.toUpperCase()} ${route.path} is in the document`);
      const security = 'allOf' in route.scopes ? [{ management_api: [...route.scopes.allOf] }] : route.scopes.map((scope) => ({ management_api: [scope] }));
      assert.deepEqual(operation.security, security, `${route.method} ${route.path}: any one of its scopes, or all of an allOf`);
      assert.deepEqual(operation.tags, [route.tag]);
      assert.equal(operation.summary, route.summary);
    }
    // What Express really answers (beyond the public router): each of it is documented, and only it.
    const served = (router as unknown as { stack: { route?: { path: string; methods: Record<string, boolean> } }[] }).stack
      .flatMap((layer) => layer.route ? Object.keys(layer.route.methods).map((method) => `${method} ${openApiPath(layer.route!.path)}`) : []);
    const documented = Object.entries(doc.paths).flatMap(([path, operations]) => Object.keys(operations).map((method) => `${method} ${path}`));
    assert.deepEqual(served.sort(), documented.sort());
  });

  test('the document describes request parameters as clients send them', () => {
    const getUser = doc.paths['/users/{id}'].get;
    assert.deepEqual(getUser.parameters!.map((p) => [p.name, p.in, p.required]), [['id', 'path', true], ['fields', 'query', false], ['include_fields', 'query', false], ['include_facts', 'query', false]]);
    assert.deepEqual(getUser.parameters![2].schema, { type: 'string', enum: ['true', 'false'] }, 'a boolean travels as the strings true/false');
    const byEmail = doc.paths['/users-by-email'].get.parameters!.find((p) => p.name === 'email')!;
    assert.equal(byEmail.required, true);
    assert.equal(byEmail.schema.format, 'email');
    const create = doc.paths['/users'].post.requestBody!.content['application/json'].schema;
    assert.deepEqual(create.required, ['connection', 'email', 'password']);
    assert.equal(create.additionalProperties, false, 'the body schema is strict, as the router is');
    assert.equal(doc.paths['/users/{id}'].delete.responses['204'] && (doc.paths['/users/{id}'].delete.responses['204'] as { content?: unknown }).content, undefined);
  });

  test('real answers of every user route (list and search too), successes and errors, are what the document says', async () => {
    const email = 'openapi.alice@innovashoes.example';
    const created = await checked(admin, 'POST', '/users', { ...PASSWORD_USER, email, name: 'Alice', user_metadata: { size: 42 } });
    assert.equal(created.status, 201);
    const id = encodeURIComponent(created.body.user_id);
    assert.equal((await checked(admin, 'POST', '/users', { ...PASSWORD_USER, email })).status, 409);
    assert.equal((await checked(admin, 'POST', '/users', { connection: PASSWORD_USER.connection, email: 'no-password@innovashoes.example' })).status, 400);
    assert.equal((await checked(reader, 'POST', '/users', { ...PASSWORD_USER, email: 'nope@innovashoes.example' })).status, 403);
    assert.deepEqual((await checked(undefined, 'POST', '/users', { ...PASSWORD_USER, email: 'nope@innovashoes.example' })).body, exampleOf(doc, 'Unauthorized'));

    assert.equal((await checked(reader, 'GET', `/users/${id}`)).status, 200);
    assert.deepEqual(Object.keys((await checked(reader, 'GET', `/users/${id}?fields=email,user_id`)).body).sort(), ['email', 'user_id']);
    assert.equal((await checked(reader, 'GET', `/users/${id}?fields=identities&include_fields=false`)).body.identities, undefined);
    assert.deepEqual((await checked(reader, 'GET', `/users/${id}?fields=password`)).body, exampleOf(doc, 'BadRequest'));
    assert.equal((await checked(reader, 'GET', '/users/auth0%7Cnobody')).status, 404);
    assert.equal((await checked('not.a.token', 'GET', `/users/${id}`)).status, 401);

    const patched = await checked(admin, 'PATCH', `/users/${id}`, { blocked: true, user_metadata: { size: null, colour: 'red' } });
    assert.equal(patched.status, 200);
    assert.equal(patched.body.blocked, true);
    assert.deepEqual(patched.body.user_metadata, { colour: 'red' });
    assert.equal((await checked(admin, 'PATCH', `/users/${id}`, {})).status, 400);
    assert.equal((await checked(admin, 'PATCH', '/users/auth0%7Cnobody', { name: 'Nobody' })).status, 404);
    await checked(admin, 'POST', '/users', { ...PASSWORD_USER, email: 'openapi.bob@innovashoes.example' });
    assert.equal((await checked(admin, 'PATCH', `/users/${id}`, { email: 'openapi.bob@innovashoes.example' })).status, 400, 'a taken email, as at Auth0');
    assert.deepEqual((await checked(reader, 'PATCH', `/users/${id}`, { name: 'Nope' })).body, exampleOf(doc, 'Forbidden'));

    assert.ok((await checked(reader, 'GET', '/users')).body.length >= 2);
    const totals = await checked(reader, 'GET', '/users?include_totals=true&per_page=1&sort=email:1');
    assert.deepEqual([totals.body.start, totals.body.limit, totals.body.length, totals.body.users[0].email], [0, 1, 1, email]);
    assert.deepEqual((await checked(reader, 'GET', `/users?q=${encodeURIComponent(`email:"${email}"`)}&fields=email`)).body, [{ email }]);
    const cursor = await checked(reader, 'GET', '/users?take=1');
    assert.match(cursor.headers.get('link')!, /rel="next"/);
    const linkHeader = doc.paths['/users'].get.responses['200'] as { headers: Record<string, unknown> };
    assert.ok(linkHeader.headers.link, 'the Link header is documented');
    assert.equal((await checked(reader, 'GET', '/users?q=email%3A(')).status, 400);
    assert.equal((await checked(reader, 'GET', '/users?per_page=101')).status, 400);

    const found = await checked(reader, 'GET', `/users-by-email?email=${encodeURIComponent(email)}`);
    assert.equal(found.body.length, 1);
    assert.deepEqual((await checked(reader, 'GET', '/users-by-email?email=nobody%40innovashoes.example')).body, []);
    assert.equal((await checked(reader, 'GET', '/users-by-email?email=not-an-email')).status, 400);

    assert.equal((await checked(reader, 'DELETE', `/users/${id}`)).status, 403);
    assert.equal((await checked(admin, 'DELETE', `/users/${id}`)).status, 204);
    assert.equal((await checked(admin, 'DELETE', `/users/${id}`)).status, 204, 'idempotent, as at Auth0');
    assert.equal((await checked(admin, 'GET', `/users/${id}`)).status, 404);
  });

  test('the check refuses an answer the document does not allow', async () => {
    const res = await api(insole, admin, 'POST', '/users', { ...PASSWORD_USER, email: 'openapi.carol@innovashoes.example' });
    const profile = res.body as Record<string, unknown>;
    const path = `/users/${encodeURIComponent(profile.user_id as string)}`;
    assertMatchesOpenApi(doc, 'GET', path, 200, profile);
    assert.throws(() => assertMatchesOpenApi(doc, 'GET', path, 200, { ...profile, password_hash: '$argon2id$…' }), /must NOT have additional properties: password_hash/);
    assert.throws(() => assertMatchesOpenApi(doc, 'GET', path, 200, { ...profile, logins_count: '3' }), /\/logins_count must be integer/);
    assert.throws(() => assertMatchesOpenApi(doc, 'GET', path, 200, { ...profile, created_at: 'yesterday' }), /\/created_at must match format "date-time"/);
    assert.throws(() => assertMatchesOpenApi(doc, 'GET', '/users-by-email', 200, [{ ...profile, identities: [{ provider: 'auth0' }] }]), /\/0\/identities\/0 must have required property 'user_id'/);
    assert.throws(() => assertMatchesOpenApi(doc, 'GET', path, 404, { statusCode: 404, error: 'Not Found', message: 'gone' }), /must have required property 'errorCode'/);
    assert.throws(() => assertMatchesOpenApi(doc, 'GET', path, 418, profile), /does not declare status 418/);
    assert.throws(() => assertMatchesOpenApi(doc, 'PUT', path, 200, profile), /no operation PUT/);
    assert.throws(() => assertMatchesOpenApi(doc, 'GET', '/users/a/b', 200, profile), /no operation GET/);
    assert.throws(() => assertMatchesOpenApi(doc, 'DELETE', path, 204, {}), /declares no content/);
    assert.throws(() => assertMatchesOpenApi(doc, 'GET', path, 200, undefined), /promises a body/);
    const badExample = structuredClone(doc);
    (badExample.components.schemas.User.examples as Record<string, unknown>[])[0].logins_count = -0.5;
    assert.throws(() => assertExamplesMatch(badExample), /User\.examples\[0\] does not match its schema:\n {2}\/logins_count must be integer/);
    const badResponseExample = structuredClone(doc);
    (exampleOf(badResponseExample, 'Forbidden') as Record<string, unknown>).statusCode = 200;
    assert.throws(() => assertExamplesMatch(badResponseExample), /responses\.Forbidden example does not match its schema:\n {2}\/statusCode must be >= 400/);
  });
});

describe('OpenAPI document: the router\'s own answers', () => {
  let insole: TestInsole;
  before(async () => {
    insole = await startTestInsole({ clients: [m2mClientConfig(READER)], admin_api: { rate_limit: { requests: 2, window_seconds: 3600 } } });
  });
  after(() => insole.stop());

  test('the rate limit\'s 429 is an answer the document describes, with its headers', async () => {
    const doc = await (await fetch(`${insole.issuer}/api/v2/openapi.json`)).json() as OpenApiDocument;
    const reader = (await managementToken(insole, READER)).access_token;
    const statuses = [];
    for (let i = 0; i < 3; i++) {
      const res = await api(insole, reader, 'GET', '/users/auth0%7Cnobody');
      assertMatchesOpenApi(doc, 'GET', '/users/auth0%7Cnobody', res.status, res.body);
      statuses.push(res.status);
      if (res.status === 429) {
        assert.equal(res.headers.get('x-ratelimit-remaining'), '0');
        assert.deepEqual(res.body, exampleOf(doc, 'TooManyRequests'), 'the documented example is the real answer');
      }
    }
    assert.deepEqual(statuses, [404, 404, 429]);
    assert.ok((doc.paths['/users/{id}'].get.responses['429'] as { $ref: string }).$ref.endsWith('/TooManyRequests'));
  });
});
