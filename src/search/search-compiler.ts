/**
 * Turns a parsed search (search-parser.ts) into a MongoDB filter, using a catalogue
 * (search-catalogues.ts) for every field's stored path, type and case rule.
 *
 * Safety: every key of the filter is either one of the operators written below or a path from the
 * catalogue (or a metadata path whose keys are checked to be storable: no dot, no leading `$`); every value from
 * the query is a string, number, boolean or Date, and text used in a `$regex` is escaped first. So
 * no operator, `$where` or regex written by the caller can reach the database.
 */
import { parseSearchQuery, type FieldRef, type SearchNode } from './search-parser.ts';
import type { FieldSpec, SearchCatalogue, TextCase } from './search-catalogues.ts';
import { SearchQueryError, quoted } from './search-query-error.ts';
import { escapeRegex, isNumberLiteral, parseBoolean, parseDateSpan, parseNumber, wildcardPattern } from './search-values.ts';
import { STORABLE_METADATA_KEY } from '../lib/metadata-keys.ts';
import { PROTOTYPE_KEYS } from '../lib/prototype-keys.ts';

export type MongoFilter = Record<string, unknown>;

const MAX_OPEN_DEPTH = 8;

type TermNode = Extract<SearchNode, { kind: 'term' }>;
type RangeNode = Extract<SearchNode, { kind: 'range' }>;
type Resolved = { name: string; spec: FieldSpec | { type: 'open'; path: string } };

export interface CompileOptions {
  /**
   * Called on each field's condition object (`{ $regex … }`, `{ $gte … }`, `{ $in … }`). A mongoose
   * caller passes `mongoose.trusted`: the app runs mongoose with `sanitizeFilter`, which would wrap
   * these conditions (ours, built from literals) in `$eq`, and the query then fails to cast. The
   * driver (`collection.find`) needs nothing.
   */
  trustCondition?: <T extends object>(condition: T) => T;
}

/** The MongoDB filter for Auth0-syntax `q` over the catalogue's collection; `{}` for an empty `q`. Throws SearchQueryError (400). */
export function compileSearch(q: string, catalogue: SearchCatalogue, options: CompileOptions = {}): MongoFilter {
  const ast = parseSearchQuery(q);
  return ast ? compileSearchNode(ast, catalogue, options) : {};
}

/** The same for an already parsed query (depth is bounded by the parser). */
export function compileSearchNode(node: SearchNode, catalogue: SearchCatalogue, options: CompileOptions = {}): MongoFilter {
  const filter = compileNode(node, catalogue);
  return options.trustCondition ? trustConditions(filter, options.trustCondition) : filter;
}

function trustConditions(filter: MongoFilter, trust: NonNullable<CompileOptions['trustCondition']>): MongoFilter {
  for (const [key, value] of Object.entries(filter)) {
    if (key === '$and' || key === '$or' || key === '$nor') (value as MongoFilter[]).forEach((part) => trustConditions(part, trust));
    else if (typeof value === 'object' && value !== null && !(value instanceof Date)) filter[key] = trust(value);
  }
  return filter;
}

function compileNode(node: SearchNode, catalogue: SearchCatalogue): MongoFilter {
  switch (node.kind) {
    case 'and':
    case 'or': {
      const operator = `$${node.kind}`;
      // (a AND b) AND c is one $and of three: fewer levels for the database to walk.
      const parts = node.children.map((child) => compileNode(child, catalogue));
      return { [operator]: parts.flatMap((part) => (Object.keys(part).length === 1 && Array.isArray(part[operator]) ? part[operator] as MongoFilter[] : [part])) };
    }
    case 'not': return { $nor: [compileNode(node.child, catalogue)] };
    case 'exists': return exists(resolveField(node.field, catalogue).spec.path);
    case 'range': return compileRange(node, resolveField(node.field, catalogue));
    case 'term': return node.field ? compileTerm(node, resolveField(node.field, catalogue)) : compileBareTerm(node, catalogue);
  }
}

function resolveField(ref: FieldRef, catalogue: SearchCatalogue): Resolved {
  // Object.hasOwn: `constructor` or `__proto__` must be unknown fields, not Object.prototype's.
  if (Object.hasOwn(catalogue.fields, ref.name)) return { name: ref.name, spec: catalogue.fields[ref.name] };
  const root = catalogue.openObjects.find((name) => ref.name.startsWith(`${name}.`));
  if (!root) {
    const known = [...Object.keys(catalogue.fields), ...catalogue.openObjects.map((name) => `${name}.*`)].join(', ');
    throw new SearchQueryError(ref.position, `unknown field ${quoted(ref.name)}; the ${catalogue.name} search knows ${known}`, 'field');
  }
  // Split on every dot (an escaped one too): no stored key holds a dot, so a segment is one key
  // and the path cannot leave `root`. Each must be a key PATCH would store (metadata-keys.ts).
  const segments = ref.name.slice(root.length + 1).split('.');
  if (segments.length > MAX_OPEN_DEPTH) throw new SearchQueryError(ref.position, `a ${root} path may be at most ${MAX_OPEN_DEPTH} levels deep`, 'field');
  if (!segments.every((segment) => STORABLE_METADATA_KEY.test(segment))) {
    throw new SearchQueryError(ref.position, `${quoted(ref.name)}: each part of a ${root} path is a key: not empty, at most 255 characters, not starting with "$"`, 'field');
  }
  if (segments.some((segment) => PROTOTYPE_KEYS.has(segment))) {
    throw new SearchQueryError(ref.position, `${quoted(ref.name)}: no ${root} key is named __proto__, constructor or prototype (none can be stored)`, 'field');
  }
  return { name: ref.name, spec: { type: 'open', path: ref.name } };
}

/** Auth0 does not index null (nor missing) values, so `_exists_` means "present and not null". */
function exists(path: string): MongoFilter {
  return { [path]: { $exists: true, $ne: null } };
}

function compileTerm(node: TermNode, { name, spec }: Resolved): MongoFilter {
  const { wildcard, value, position } = node;
  if (wildcard?.length === 2 && wildcard.every((piece) => piece === '')) return exists(spec.path); // field:*
  switch (spec.type) {
    case 'text': return { [spec.path]: textCondition(spec.case, value, wildcard, position) };
    case 'email-domain': {
      // A suffix: the email index cannot serve it (a stored domain field could, should it matter).
      const pattern = wildcard
        ? wildcardPattern(wildcard.map((piece) => piece.toLowerCase()), position, '@')
        : `@${escapeRegex(value.trim().toLowerCase())}$`;
      return { [spec.path]: { $regex: pattern } };
    }
    case 'open':
      if (wildcard) throw new SearchQueryError(position, `wildcards are not available on metadata fields such as ${quoted(name)} (as in Auth0)`, 'field');
      return { [spec.path]: openCondition(value) };
    default:
      if (wildcard) throw new SearchQueryError(position, `wildcards apply to text fields; ${quoted(name)} is a ${spec.type}`, 'field');
      if (spec.type === 'number') return { [spec.path]: parseNumber(value, position) };
      if (spec.type === 'boolean') return { [spec.path]: parseBoolean(value, position) };
      const span = parseDateSpan(value, position);
      return { [spec.path]: { $gte: span.start, $lt: span.end } };
  }
}

function textCondition(textCase: TextCase, value: string, wildcard: string[] | null, position: number): unknown {
  if (textCase === 'insensitive') {
    return { $regex: wildcard ? wildcardPattern(wildcard, position) : `^${escapeRegex(value)}$`, $options: 'i' };
  }
  // Emails are stored trimmed and lower-cased: normalise the value the same way, then match as stored.
  const pieces = textCase === 'lowercase' ? wildcard?.map((piece) => piece.toLowerCase()) : wildcard;
  if (pieces) return { $regex: wildcardPattern(pieces, position) };
  return textCase === 'lowercase' ? value.trim().toLowerCase() : value;
}

/**
 * Auth0 indexes metadata with its JSON type, and `user_metadata.preferences.fontSize:13` finds the
 * number 13. The query cannot say which type is stored, so a value that reads as a number or a
 * boolean matches either that or the same text. Arrays match at any element (MongoDB does so).
 */
function openCondition(value: string): unknown {
  if (isNumberLiteral(value)) return { $in: [value, Number(value)] };
  if (value === 'true' || value === 'false') return { $in: [value, value === 'true'] };
  return value;
}

function compileRange(node: RangeNode, { name, spec }: Resolved): MongoFilter {
  if (spec.type === 'open') throw new SearchQueryError(node.position, `ranges are not available on metadata fields such as ${quoted(name)} (as in Auth0)`, 'field');
  if (spec.type !== 'number' && spec.type !== 'date') {
    throw new SearchQueryError(node.position, `ranges apply to date and number fields; ${quoted(name)} is ${spec.type === 'boolean' ? 'a boolean' : 'text'}`, 'field');
  }
  const { lower, upper } = node;
  if (!lower && !upper) return exists(spec.path); // [* TO *]
  const condition: Record<string, unknown> = {};
  if (spec.type === 'number') {
    if (lower) condition[lower.inclusive ? '$gte' : '$gt'] = parseNumber(lower.value, lower.position);
    if (upper) condition[upper.inclusive ? '$lte' : '$lt'] = parseNumber(upper.value, upper.position);
  } else {
    // An inclusive bound takes in the whole span its date stands for; an exclusive one leaves it all out.
    if (lower) { const span = parseDateSpan(lower.value, lower.position); condition.$gte = lower.inclusive ? span.start : span.end; }
    if (upper) { const span = parseDateSpan(upper.value, upper.position); condition.$lt = upper.inclusive ? span.end : span.start; }
  }
  return { [spec.path]: condition };
}

/** A term without `field:` matches when any of the catalogue's bare-term fields matches it. */
function compileBareTerm(node: TermNode, catalogue: SearchCatalogue): MongoFilter {
  if (catalogue.bareTermFields.length === 0) throw new SearchQueryError(node.position, 'a term needs a field name, as in type:s', 'field');
  if (node.wildcard?.length === 2 && node.wildcard.every((piece) => piece === '')) return {}; // a lone `*`: everything
  return { $or: catalogue.bareTermFields.map((name) => compileTerm(node, resolveField({ name, position: node.position }, catalogue))) };
}
