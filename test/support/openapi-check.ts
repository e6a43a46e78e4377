import { AssertionError } from 'node:assert';
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';

/** The parts of an OpenAPI 3.1 document this check reads. */
export interface OpenApiDoc {
  servers?: { url: string }[];
  paths: Record<string, Record<string, { responses: Record<string, unknown> }>>;
  components?: { schemas?: Record<string, unknown>; responses?: Record<string, unknown> };
}

interface ResponseObject { description: string; content?: Record<string, { schema?: unknown; example?: unknown }> }

const validators = new WeakMap<OpenApiDoc, Map<string, ValidateFunction>>();

/**
 * Checks one real answer against the document: the operation exists for `method` and `path`, it
 * declares `status`, and `body` validates against that status's JSON schema (2020-12, with formats),
 * where undeclared fields and wrong types fail. `path` is what was requested, relative to the
 * server URL (`/users/auth0%7C42?fields=email`) or with it (`/api/v2/users/…`, a full URL).
 * An empty body (undefined) must be an answer that declares no content.
 */
export function assertMatchesOpenApi(doc: OpenApiDoc, method: string, path: string, status: number, body: unknown): void {
  const where = `${method.toUpperCase()} ${path} → ${status}`;
  const template = findPathTemplate(doc, method.toLowerCase(), path);
  if (!template) fail(`${where}: the document has no operation ${method.toUpperCase()} for this path`);
  const response = findResponse(doc, doc.paths[template][method.toLowerCase()].responses, status);
  if (!response) fail(`${where}: ${method.toUpperCase()} ${template} does not declare status ${status}`);
  const media = response.content?.['application/json'];
  if (body === undefined) {
    if (response.content) fail(`${where}: the document promises a body (${Object.keys(response.content).join(', ')}), none came`);
    return;
  }
  if (!media) fail(`${where}: a JSON body came, the document declares ${response.content ? Object.keys(response.content).join(', ') : 'no content'}`);
  if (!media.schema) return;
  const validate = compiled(doc, `${template} ${method} ${status}`, media.schema);
  if (!validate(body)) fail(`${where}: the body does not match ${method.toUpperCase()} ${template}'s schema:${describeErrors(validate)}\nbody: ${JSON.stringify(body).slice(0, 500)}`);
}

function describeErrors(validate: ValidateFunction): string {
  return validate.errors!.map((e) => `\n  ${e.instancePath || '(body)'} ${e.message}${'additionalProperty' in e.params ? `: ${e.params.additionalProperty}` : ''}`).join('');
}

/**
 * The examples the reference page shows are true: each `examples` entry of a component schema, and
 * each JSON `example` of a shared response, validates against its schema.
 */
export function assertExamplesMatch(doc: OpenApiDoc): void {
  for (const [name, schema] of Object.entries(doc.components?.schemas ?? {})) {
    for (const [i, example] of ((schema as { examples?: unknown[] }).examples ?? []).entries()) {
      const validate = compiled(doc, `#/components/schemas/${name}`, { $ref: `#/components/schemas/${name}` });
      if (!validate(example)) fail(`components.schemas.${name}.examples[${i}] does not match its schema:${describeErrors(validate)}`);
    }
  }
  for (const [name, response] of Object.entries(doc.components?.responses ?? {})) {
    const media = (response as ResponseObject).content?.['application/json'];
    if (!media?.schema || !('example' in media)) continue;
    const validate = compiled(doc, `#/components/responses/${name}`, media.schema);
    if (!validate(media.example)) fail(`components.responses.${name} example does not match its schema:${describeErrors(validate)}`);
  }
}

/** The document's path template for a concrete path: literal segments must be equal, `{x}` takes any one segment; fewer templates win. */
export function findPathTemplate(doc: OpenApiDoc, method: string, path: string): string | undefined {
  const base = doc.servers?.[0] ? new URL(doc.servers[0].url, 'http://server.invalid').pathname.replace(/\/$/, '') : '';
  let pathname = new URL(path, 'http://server.invalid').pathname;
  if (base && pathname.startsWith(`${base}/`)) pathname = pathname.slice(base.length);
  const segments = pathname.split('/');
  const matches = Object.keys(doc.paths).filter((template) => {
    const parts = template.split('/');
    return doc.paths[template][method] && parts.length === segments.length && parts.every((part, i) => /^\{\w+\}$/.test(part) ? segments[i] !== '' : part === segments[i]);
  });
  const templates = (t: string) => (t.match(/\{/g) ?? []).length;
  return matches.sort((a, b) => templates(a) - templates(b))[0];
}

function findResponse(doc: OpenApiDoc, responses: Record<string, unknown>, status: number): ResponseObject | undefined {
  const found = responses[String(status)] ?? responses[`${String(status)[0]}XX`] ?? responses.default;
  return found ? resolveRef(doc, found) as ResponseObject : undefined;
}

function resolveRef(doc: OpenApiDoc, value: unknown): unknown {
  const ref = (value as { $ref?: string }).$ref;
  if (!ref) return value;
  const target = ref.replace(/^#\//, '').split('/').reduce<unknown>((node, key) => (node as Record<string, unknown> | undefined)?.[key], doc);
  if (!target) fail(`the document's ${ref} leads nowhere`);
  return resolveRef(doc, target);
}

// The document's own components become the schema's $defs, so `#/components/schemas/User` resolves.
function compiled(doc: OpenApiDoc, key: string, schema: unknown): ValidateFunction {
  let cache = validators.get(doc);
  if (!cache) validators.set(doc, cache = new Map());
  let validate = cache.get(key);
  if (!validate) {
    const ajv = new Ajv2020({ allErrors: true, strict: true });
    addFormats.default(ajv);
    validate = ajv.compile({ ...toDefs(schema) as object, $defs: toDefs(doc.components?.schemas ?? {}) });
    cache.set(key, validate);
  }
  return validate;
}

function toDefs(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(toDefs);
  if (!value || typeof value !== 'object') return value;
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, k === '$ref' && typeof v === 'string' ? v.replace('#/components/schemas/', '#/$defs/') : toDefs(v)]));
}

function fail(message: string): never {
  throw new AssertionError({ message });
}
