import { SearchQueryError, quoted } from './search-query-error.ts';

/** What a term or phrase reads as: `wildcard` holds the pieces around each unescaped `*`, or null. */
export interface Word { text: string; wildcard: string[] | null }

const SPACE = /\s/;
// Lucene syntax Auth0 v3 does not support is refused with a pointer rather than searched for literally.
const REFUSED: Record<string, string> = {
  '"': 'unexpected \'"\' inside a term (escape it as \\")',
  '?': 'the "?" wildcard is not supported (escape it as \\? to search for a question mark)',
  '~': 'fuzzy and proximity searches ("~") are not supported',
  '^': 'boosts ("^") are not supported',
  '[': 'unexpected "["; a range follows a field name, as in logins_count:[1 TO 5]',
  '{': 'unexpected "{"; a range follows a field name, as in logins_count:{1 TO 5}',
  ']': 'unexpected "]"', '}': 'unexpected "}"',
};

/**
 * The character level of the search syntax: a cursor over `q` that reads keywords, field names,
 * terms (with `\` escapes and `*` wildcards) and quoted phrases, and makes errors at its position.
 * Every loop here advances the cursor, so reading is linear in the length of `q`.
 */
export class QueryScanner {
  readonly src: string;
  pos = 0;

  constructor(src: string) { this.src = src; }

  atEnd(): boolean { return this.pos >= this.src.length; }
  peek(): string { return this.src[this.pos]; }
  skipSpace(): void { while (this.pos < this.src.length && SPACE.test(this.src[this.pos])) this.pos += 1; }
  error(detail: string, position = this.pos): SearchQueryError { return new SearchQueryError(position, detail); }

  /** An upper-case operator word at the cursor, ended by a space, a parenthesis or the end. */
  atKeyword(word: string): boolean {
    if (!this.src.startsWith(word, this.pos)) return false;
    const after = this.src[this.pos + word.length];
    return after === undefined || SPACE.test(after) || after === '(' || after === ')';
  }

  takeKeyword(word: string): boolean {
    if (!this.atKeyword(word)) return false;
    this.pos += word.length;
    this.skipSpace();
    return true;
  }

  /** `name:` at the cursor (the name may hold escapes), consumed with the spaces after the colon; else null. */
  readFieldName(): { name: string; position: number } | null {
    const start = this.pos;
    if (this.peek() === ':') throw this.error('expected a field name before ":"');
    let name = '';
    for (let i = start; i < this.src.length; i += 1) {
      const c = this.src[i];
      if (c === '\\' && i + 1 < this.src.length) { name += this.src[++i]; continue; }
      if (c === ':') { this.pos = i + 1; this.skipSpace(); return { name, position: start }; }
      if (SPACE.test(c) || '()"[]{}*?\\'.includes(c)) return null;
      name += c;
    }
    return null;
  }

  /** An unquoted term, up to a space or parenthesis (or `]`/`}` inside a range). */
  readTerm(inRange: boolean): Word {
    const start = this.pos;
    const pieces: string[] = [];
    let text = '';
    while (!this.atEnd()) {
      const c = this.peek();
      if (c === '\\') { text += this.escaped(); continue; }
      if (SPACE.test(c) || c === '(' || c === ')' || (inRange && (c === ']' || c === '}'))) break;
      if (c === '*') { pieces.push(text); text = ''; this.pos += 1; continue; }
      if (REFUSED[c]) throw this.error(REFUSED[c]);
      text += c;
      this.pos += 1;
    }
    if (this.pos === start) throw this.error('expected a value');
    if (!inRange) this.skipSpace();
    return pieces.length ? { text: [...pieces, text].join('*'), wildcard: [...pieces, text] } : { text, wildcard: null };
  }

  /** A double-quoted phrase: `*` inside is literal; `\"` and `\\` are escapes. */
  readPhrase(inRange: boolean): Word {
    const open = this.pos;
    this.pos += 1;
    let text = '';
    while (!this.atEnd()) {
      const c = this.peek();
      if (c === '\\') { text += this.escaped(); continue; }
      this.pos += 1;
      if (c === '"') { this.endOfToken(inRange); return { text, wildcard: null }; }
      text += c;
    }
    throw this.error('unterminated quoted phrase', open);
  }

  /** A phrase or range must be followed by a space, a parenthesis or the end (`"a"b` is an error). */
  endOfToken(inRange: boolean): void {
    const c = this.src[this.pos];
    const fine = c === undefined || SPACE.test(c) || c === '(' || c === ')' || (inRange && (c === ']' || c === '}'));
    if (!fine) throw this.error(`unexpected ${quoted(c)}`);
    if (!inRange) this.skipSpace();
  }

  private escaped(): string {
    if (this.pos + 1 >= this.src.length) throw this.error('nothing to escape after "\\"');
    this.pos += 2;
    return this.src[this.pos - 1];
  }
}
