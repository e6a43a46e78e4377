import { z } from 'zod';

export type JsonSchema = Record<string, unknown>;
/** Requests are described as clients send them (zod's input), responses as the server sends them (output). */
export type Io = 'input' | 'output';

const DEFS_REF = /^#\/\$defs\/(.+)$/;

/**
 * Turns zod schemas into JSON Schema 2020-12 (the dialect of OpenAPI 3.1) and gathers every schema
 * that carries `.meta({ id })` into `components.schemas`, so the `User` profile is written once and
 * referenced everywhere. zod extracts such schemas into `$defs`; here they move to the components
 * and their `$ref`s follow.
 *
 * The same id can look different as input and as output (output objects forbid undeclared keys,
 * transforms change types): the output form keeps the id, a differing input form gets `<id>Input`.
 * Two different schemas with one id are a mistake and stop the build. Convert every output schema
 * before the first input one, so that each id's output form is known when an input form is named.
 */
export function createSchemaComponents() {
  const components: Record<string, JsonSchema> = {};
  let inputSeen = false;

  function toSchema(schema: z.ZodType, io: Io): JsonSchema {
    if (io === 'input') inputSeen = true;
    else if (inputSeen) throw new Error('Convert the output (response) schemas before the input ones.');
    const { $schema: _dialect, $defs = {}, ...root } = z.toJSONSchema(schema, { target: 'draft-2020-12', io, unrepresentable: 'throw' }) as JsonSchema & { $defs?: Record<string, JsonSchema> };
    const names = nameDefs($defs, io);
    for (const [id, def] of Object.entries($defs)) {
      const named = rewriteRefs(def, names) as JsonSchema;
      const existing = components[names.get(id)!];
      if (existing && !sameJson(existing, named)) throw new Error(`Two different schemas carry the id "${names.get(id)}": give one of them another id.`);
      components[names.get(id)!] = named;
    }
    return rewriteRefs(root, names) as JsonSchema;
  }

  /** A `$ref` (root schemas with an id) followed to its component, for reading an object's properties. */
  function resolve(schema: JsonSchema): JsonSchema {
    const ref = typeof schema.$ref === 'string' ? /^#\/components\/schemas\/(.+)$/.exec(schema.$ref)?.[1] : undefined;
    return ref ? resolve(components[ref]) : schema;
  }

  // An input def keeps its id only when it and every def it refers to read the same as their output forms.
  function nameDefs(defs: Record<string, JsonSchema>, io: Io): Map<string, string> {
    const names = new Map(Object.keys(defs).map((id) => [id, id]));
    if (io === 'output') return names;
    const differs = new Set(Object.keys(defs).filter((id) => components[id] && !sameJson(components[id], rewriteRefs(defs[id], names))));
    for (let grew = true; grew;) {
      grew = false;
      for (const id of Object.keys(defs)) {
        if (!differs.has(id) && refsOf(defs[id]).some((target) => differs.has(target))) { differs.add(id); grew = true; }
      }
    }
    for (const id of differs) names.set(id, `${id}Input`);
    return names;
  }

  return { components, toSchema, resolve };
}

export type SchemaComponents = ReturnType<typeof createSchemaComponents>;

function rewriteRefs(value: unknown, names: Map<string, string>): unknown {
  if (Array.isArray(value)) return value.map((item) => rewriteRefs(item, names));
  if (!value || typeof value !== 'object') return value;
  return Object.fromEntries(Object.entries(value).map(([key, inner]) => {
    const id = key === '$ref' && typeof inner === 'string' ? DEFS_REF.exec(inner)?.[1] : undefined;
    return [key, id ? `#/components/schemas/${names.get(id) ?? id}` : rewriteRefs(inner, names)];
  }));
}

function refsOf(value: unknown): string[] {
  if (Array.isArray(value)) return value.flatMap(refsOf);
  if (!value || typeof value !== 'object') return [];
  return Object.entries(value).flatMap(([key, inner]) => {
    const id = key === '$ref' && typeof inner === 'string' ? DEFS_REF.exec(inner)?.[1] : undefined;
    return id ? [id] : refsOf(inner);
  });
}

function sameJson(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}
