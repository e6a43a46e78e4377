/**
 * Auth0's search syntax (user search engine v3 and log search v3, "a subset of Lucene") parsed into
 * a small AST. It knows nothing of fields or MongoDB: search-compiler.ts gives the AST its meaning.
 *
 * Why hand-written rather than an npm parser (tried on Node 24 before choosing):
 * - `lucene` (PEG.js, last release 2024-12): good offsets, but 10,000 nested parentheses end in a
 *   RangeError (stack overflow) and escapes stay raw in field names (`a\:b`).
 * - `liqe` (nearley, maintained): positions only as line/column, refuses `a\:b:c`, and an Earley
 *   parse of one 10 kB term took ~1.9 s: too slow for hostile input.
 * Both accept far more Lucene than Auth0 v3 documents (fuzzy, boosts, regex), which we would have to
 * refuse after the fact. This parser (with search-scanner.ts) gives an exact offset and a reason for every
 * error, and bounds its own recursion: only "(" and NOT recurse, each counted against maxDepth
 * before recursing, so no input can exhaust the stack.
 *
 * Grammar (NOT binds tighter than AND, AND tighter than OR; two clauses side by side mean AND):
 * Auth0's docs do not say which default operator v3 uses (v2, plain Elasticsearch, said OR). AND is
 * chosen: it gives `a NOT b` the meaning it has in Lucene (a and not b), and a query that narrows is
 * the safer surprise for an admin tool. Write OR when you mean it.
 *   query   := [or]                       an empty query matches everything
 *   or      := and ("OR" and)*
 *   and     := unary (["AND"] unary)*
 *   unary   := "NOT" unary | primary
 *   primary := "(" or ")" | name ":" value | value     a value without a name is a "bare term"
 *   value   := "(" or ")" | range | phrase | term      in name:(…) every value takes that name
 *   range   := ("[" | "{") bound "TO" bound ("]" | "}")    bound := "*" | phrase | term
 * Operators are upper case only (lower-case and/or/not are terms). `\` escapes any character.
 * An unescaped `*` in a term is a wildcard; `?`, `~`, `^`, `/…/`, `+`, `-`, `!`, `&&`, `||` are
 * refused with a pointer rather than silently searched for, since Auth0 v3 does not support them.
 */
import { SearchQueryError, quoted } from './search-query-error.ts';
import { QueryScanner } from './search-scanner.ts';

/** 4,096 characters is about what fits in a URL once encoded; depth counts "(" and NOT. */
export const SEARCH_LIMITS = { maxLength: 4096, maxDepth: 16, maxTerms: 100 } as const;

export interface FieldRef { name: string; position: number }
export interface RangeBound { value: string; inclusive: boolean; position: number }
/** Every node carries the 0-based offset in `q` where it starts (for a term: where its value starts). */
export type SearchNode =
  | { kind: 'and' | 'or'; children: SearchNode[]; position: number }
  | { kind: 'not'; child: SearchNode; position: number }
  /** `wildcard`: the literal pieces around each unescaped `*` (`jo*` → ["jo", ""]); null without one. */
  | { kind: 'term'; field: FieldRef | null; value: string; quoted: boolean; wildcard: string[] | null; position: number }
  /** A null bound is `*` (open). */
  | { kind: 'range'; field: FieldRef; lower: RangeBound | null; upper: RangeBound | null; position: number }
  | { kind: 'exists'; field: FieldRef; position: number };

/** The AST of `q`, or null when `q` is empty or blank (which matches everything). */
export function parseSearchQuery(q: string): SearchNode | null {
  // `?q=a&q=b` arrives as an array if the route forgets to check: still a 400, never a TypeError.
  if (typeof q !== 'string') throw new SearchQueryError(0, 'the query must be one string');
  if (q.length > SEARCH_LIMITS.maxLength) {
    throw new SearchQueryError(SEARCH_LIMITS.maxLength, `the query is ${q.length} characters long; at most ${SEARCH_LIMITS.maxLength} are accepted`);
  }
  // Control characters (NUL above all) have no business in a search and break MongoDB regexes.
  const control = q.search(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]|\p{Cs}/u);
  if (control >= 0) throw new SearchQueryError(control, 'control characters and lone surrogates are not allowed');
  return new QueryParser(q).parse();
}

const KEYWORDS = ['AND', 'OR', 'NOT'] as const;

class QueryParser {
  private readonly s: QueryScanner;
  private depth = 0;
  private terms = 0;

  constructor(q: string) { this.s = new QueryScanner(q); }

  parse(): SearchNode | null {
    const { s } = this;
    s.skipSpace();
    if (s.atEnd()) return null;
    const node = this.parseOr(null);
    if (!s.atEnd()) throw s.error(s.peek() === ')' ? 'unmatched ")"' : `unexpected ${quoted(s.peek())}`);
    return node;
  }

  private parseOr(field: FieldRef | null): SearchNode {
    const children = [this.parseAnd(field)];
    while (this.s.takeKeyword('OR')) children.push(this.parseAnd(field));
    return children.length === 1 ? children[0] : { kind: 'or', children, position: children[0].position };
  }

  private parseAnd(field: FieldRef | null): SearchNode {
    const { s } = this;
    const children = [this.parseUnary(field)];
    while (!s.atEnd() && s.peek() !== ')' && !s.atKeyword('OR')) {
      s.takeKeyword('AND'); // optional: clauses side by side mean AND too
      children.push(this.parseUnary(field));
    }
    return children.length === 1 ? children[0] : { kind: 'and', children, position: children[0].position };
  }

  private parseUnary(field: FieldRef | null): SearchNode {
    const position = this.s.pos;
    if (!this.s.takeKeyword('NOT')) return this.parsePrimary(field);
    this.enter(position);
    const child = this.parseUnary(field);
    this.depth -= 1;
    return { kind: 'not', child, position };
  }

  private parsePrimary(field: FieldRef | null): SearchNode {
    const { s } = this;
    if (s.atEnd()) throw s.error('expected a term');
    if (s.peek() === ')') throw s.error('expected a term before ")"');
    const keyword = KEYWORDS.find((word) => s.atKeyword(word));
    if (keyword) throw s.error(`expected a term, found "${keyword}"`);
    if (s.peek() === '(') return this.parseGroup(field);
    if (field === null) this.refuseLuceneOperators();
    const named = s.readFieldName();
    if (!named) return this.parseValue(field);
    if (field) throw s.error(`field ${quoted(named.name)} cannot be named inside the parentheses of field ${quoted(field.name)}`, named.position);
    if (s.atEnd() || s.peek() === ')' || KEYWORDS.some((word) => s.atKeyword(word))) {
      throw s.error(`expected a value after ${quoted(`${named.name}:`)}`);
    }
    if (named.name === '_exists_') return this.parseExists(named);
    return s.peek() === '(' ? this.parseGroup(named) : this.parseValue(named);
  }

  private parseGroup(field: FieldRef | null): SearchNode {
    const { s } = this;
    const open = s.pos;
    this.enter(open);
    s.pos += 1;
    s.skipSpace();
    if (s.peek() === ')') throw s.error('empty parentheses');
    const node = this.parseOr(field);
    if (s.peek() !== ')') throw s.error(s.atEnd() ? `expected ")" to close the "(" at position ${open}` : 'expected ")"');
    s.pos += 1;
    this.depth -= 1;
    s.skipSpace();
    return node;
  }

  private parseExists(named: FieldRef): SearchNode {
    const { s } = this;
    const position = s.pos;
    const word = s.peek() === '"' ? s.readPhrase(false) : s.readTerm(false);
    if (word.wildcard) throw s.error('_exists_ takes one field name, without wildcards', position);
    this.count(position);
    return { kind: 'exists', field: { name: word.text, position }, position: named.position };
  }

  private parseValue(field: FieldRef | null): SearchNode {
    const { s } = this;
    const position = s.pos;
    const first = s.peek();
    if (first === '[' || first === '{') {
      if (!field) throw s.error('a range needs a field name, as in created_at:[2024-01-01 TO *]');
      return this.parseRange(field);
    }
    if (first === '/') throw s.error('regular expressions ("/…/") are not supported');
    const word = first === '"' ? s.readPhrase(false) : s.readTerm(false);
    this.count(position);
    return { kind: 'term', field, value: word.text, quoted: first === '"', wildcard: word.wildcard, position };
  }

  private parseRange(field: FieldRef): SearchNode {
    const { s } = this;
    const position = s.pos;
    const lowerInclusive = s.peek() === '[';
    s.pos += 1;
    const lower = this.readBound();
    if (!(s.src.startsWith('TO', s.pos) && /\s/.test(s.src[s.pos + 2] ?? ''))) throw s.error('expected "TO" between the bounds of the range');
    s.pos += 2;
    const upper = this.readBound();
    const close = s.peek();
    if (close !== ']' && close !== '}') throw s.error('expected "]" or "}" to close the range');
    s.pos += 1;
    s.endOfToken(false);
    this.count(position);
    return {
      kind: 'range', field, position,
      lower: lower && { ...lower, inclusive: lowerInclusive },
      upper: upper && { ...upper, inclusive: close === ']' },
    };
  }

  /** A bound, or null for `*` (open); leaves the cursor after the spaces that follow it. */
  private readBound(): { value: string; position: number } | null {
    const { s } = this;
    s.skipSpace();
    const position = s.pos;
    if (s.atEnd()) throw s.error('expected a range bound');
    const word = s.peek() === '"' ? s.readPhrase(true) : s.readTerm(true);
    s.skipSpace();
    if (!word.wildcard) return { value: word.text, position };
    if (word.text === '*') return null;
    throw s.error('a range bound is a value or "*"', position);
  }

  private refuseLuceneOperators(): void {
    const { s } = this;
    if (s.src.startsWith('&&', s.pos) || s.src.startsWith('||', s.pos)) throw s.error('"&&" and "||" are not supported; use AND and OR');
    const c = s.peek();
    if (c === '+' || c === '-' || c === '!') throw s.error(`the Lucene prefix "${c}" is not supported; use AND, OR and NOT (escape it as \\${c} to search for it)`);
  }

  /** Counted before recursing, so nesting can never exhaust the stack. */
  private enter(position: number): void {
    this.depth += 1;
    if (this.depth > SEARCH_LIMITS.maxDepth) throw this.s.error(`nesting deeper than ${SEARCH_LIMITS.maxDepth} levels of parentheses and NOT`, position);
  }

  private count(position: number): void {
    this.terms += 1;
    if (this.terms > SEARCH_LIMITS.maxTerms) throw this.s.error(`more than ${SEARCH_LIMITS.maxTerms} terms`, position);
  }
}
