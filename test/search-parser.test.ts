import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { AppError } from '../src/errors/app-error.ts';
import { parseSearchQuery, SEARCH_LIMITS, type SearchNode } from '../src/search/search-parser.ts';
import { SearchQueryError } from '../src/search/search-query-error.ts';

/** The AST in one line: `(AND a (NOT b))`, terms as field="value", wildcards as field~[pieces]. */
function show(node: SearchNode | null): string {
  if (!node) return '∅';
  switch (node.kind) {
    case 'and': case 'or': return `(${node.kind.toUpperCase()} ${node.children.map(show).join(' ')})`;
    case 'not': return `(NOT ${show(node.child)})`;
    case 'exists': return `_exists_:${node.field.name}`;
    case 'range': {
      const lower = node.lower ? `${node.lower.inclusive ? '[' : '{'}${node.lower.value}` : '*';
      const upper = node.upper ? `${node.upper.value}${node.upper.inclusive ? ']' : '}'}` : '*';
      return `${node.field.name}:${lower} TO ${upper}`;
    }
    case 'term': return `${node.field?.name ?? '_'}${node.wildcard ? `~${JSON.stringify(node.wildcard)}` : `=${JSON.stringify(node.value)}`}`;
  }
}

const parsed = (q: string) => show(parseSearchQuery(q));

/** The error `q` raises; fails the test when it raises none or another kind. */
function refusal(q: string): SearchQueryError {
  try {
    parseSearchQuery(q);
  } catch (err) {
    assert.ok(err instanceof SearchQueryError, `${JSON.stringify(q.slice(0, 60))} threw ${String(err)}`);
    return err;
  }
  assert.fail(`${JSON.stringify(q.slice(0, 60))} was accepted`);
}

describe('search syntax: operators and precedence', () => {
  const table: [string, string][] = [
    ['name:a OR name:b AND name:c', '(OR name="a" (AND name="b" name="c"))'],
    ['NOT name:a AND name:b', '(AND (NOT name="a") name="b")'],
    ['name:a AND (name:b OR name:c)', '(AND name="a" (OR name="b" name="c"))'],
    ['(name:a OR name:b) AND NOT (name:c OR name:d)', '(AND (OR name="a" name="b") (NOT (OR name="c" name="d")))'],
    // Side by side means AND (documented choice), so "a NOT b" is "a and not b", as in Lucene.
    ['name:a name:b OR name:c', '(OR (AND name="a" name="b") name="c")'],
    ['name:a NOT name:b', '(AND name="a" (NOT name="b"))'],
    ['NOT NOT name:a', '(NOT (NOT name="a"))'],
    ['NOT(name:a)', '(NOT name="a")'],
    // Operators are upper case only: lower-case words are terms, and so are words that merely start like one.
    ['name:a and name:b or name:c', '(AND name="a" _="and" name="b" _="or" name="c")'],
    ['name:ANDROID ORACLE NOTE', '(AND name="ANDROID" _="ORACLE" _="NOTE")'],
    ['name:(jane OR "john doe") AND blocked:true', '(AND (OR name="jane" name="john doe") blocked="true")'],
    ['email:("a@x.example" OR "b@x.example")', '(OR email="a@x.example" email="b@x.example")'],
    ['', '∅'],
    ['   ', '∅'],
  ];
  for (const [q, expected] of table) test(`${JSON.stringify(q)} → ${expected}`, () => assert.equal(parsed(q), expected));

  test('every node knows where it starts in q (terms: where the value starts; fields: where the name starts)', () => {
    const node = parseSearchQuery('name:a AND  blocked: true');
    assert.ok(node?.kind === 'and');
    const [first, second] = node.children;
    assert.ok(first.kind === 'term' && second.kind === 'term');
    assert.deepEqual([first.position, first.field?.position, second.position, second.field?.position], [5, 0, 21, 12]);
  });
});

describe('search syntax: values', () => {
  const table: [string, string][] = [
    ['name:"Jane Doe"', 'name="Jane Doe"'],
    ['name: jane', 'name="jane"'],
    ['name:John\\ Doe', 'name="John Doe"'],
    ['user_id:auth0\\:123', 'user_id="auth0:123"'],
    ['user_id:auth0|123', 'user_id="auth0|123"'],
    ['name:a\\*b', 'name="a*b"'],
    ['name:"jo*"', 'name="jo*"'],
    ['a\\(b\\)', '_="a(b)"'],
    ['last_login:2019-01-01T01:00:00', 'last_login="2019-01-01T01:00:00"'],
    ['app_metadata.roles:admin', 'app_metadata.roles="admin"'],
    ['user_metadata.fullcontact_profile.gender:"male"', 'user_metadata.fullcontact_profile.gender="male"'],
    ['_exists_:user_metadata.fav_color', '_exists_:user_metadata.fav_color'],
    ['NOT _exists_: nickname', '(NOT _exists_:nickname)'],
    ['name:jo*', 'name~["jo",""]'],
    ['name:*usa', 'name~["","usa"]'],
    ['name:jane*smith', 'name~["jane","smith"]'],
    ['name:*john*', 'name~["","john",""]'],
    ['name:*', 'name~["",""]'],
  ];
  for (const [q, expected] of table) test(`${JSON.stringify(q)} → ${expected}`, () => assert.equal(parsed(q), expected));

  test('a quoted phrase keeps escaped quotes and backslashes as text', () => {
    const node = parseSearchQuery('name:"say \\"hi\\" \\\\ bye"');
    assert.ok(node?.kind === 'term');
    assert.deepEqual([node.value, node.quoted, node.wildcard], ['say "hi" \\ bye', true, null]);
  });
});

describe('search syntax: ranges', () => {
  const table: [string, string][] = [
    ['logins_count:[1 TO 5]', 'logins_count:[1 TO 5]'],
    ['logins_count:{1 TO 5}', 'logins_count:{1 TO 5}'],
    ['logins_count:[1 TO 5}', 'logins_count:[1 TO 5}'],
    ['logins_count:{1 TO 5]', 'logins_count:{1 TO 5]'],
    ['logins_count:[* TO 5]', 'logins_count:* TO 5]'],
    ['logins_count:{100 TO *]', 'logins_count:{100 TO *'],
    ['logins_count:[* TO *]', 'logins_count:* TO *'],
    ['created_at:[ "2024-01-01" TO "2024-02-01" ]', 'created_at:[2024-01-01 TO 2024-02-01]'],
    ['date:[2019-01-01T01:00:00 TO 2019-01-01T12:23:45}', 'date:[2019-01-01T01:00:00 TO 2019-01-01T12:23:45}'],
    ['created_at:([2024 TO 2025] OR [* TO 2001})', '(OR created_at:[2024 TO 2025] created_at:* TO 2001})'],
  ];
  for (const [q, expected] of table) test(`${JSON.stringify(q)} → ${expected}`, () => assert.equal(parsed(q), expected));
});

describe('search syntax: malformed queries are a 400 that points at the problem', () => {
  const table: [string, number, RegExp][] = [
    ['name:(a OR b', 12, /expected "\)" to close the "\(" at position 5/],
    ['(name:a', 7, /expected "\)"/],
    ['name:a)', 6, /unmatched "\)"/],
    ['name:', 5, /expected a value after "name:"/],
    ['name: ', 6, /expected a value after "name:"/],
    [':a', 0, /expected a field name before ":"/],
    ['name:a AND', 10, /expected a term/],
    ['AND name:a', 0, /expected a term, found "AND"/],
    ['name:a OR OR name:b', 10, /found "OR"/],
    ['"abc', 0, /unterminated quoted phrase/],
    ['name:"a"b', 8, /unexpected "b"/],
    ['name:a b"', 8, /inside a term/],
    ['name:a]', 6, /unexpected "\]"/],
    ['()', 1, /empty parentheses/],
    ['name:\\', 5, /nothing to escape/],
    ['name:(email:x)', 6, /"email" cannot be named inside the parentheses of field "name"/],
    ['logins_count:[1 TO 5', 20, /expected "\]" or "\}"/],
    ['logins_count:[1 5]', 16, /expected "TO"/],
    ['logins_count:[1 TO]', 16, /expected "TO"/],
    ['logins_count:[1* TO 5]', 14, /a range bound is a value or "\*"/],
    ['created_at:[2024 TO 2025]x', 25, /unexpected "x"/],
    ['{"$gt":""}', 0, /a range needs a field name/],
    ['name:{"$ne":null}', 11, /unexpected ":"/],
    ['name:x?', 6, /"\?" wildcard is not supported/],
    ['name:jo~2', 7, /fuzzy/],
    ['name:jo^2', 7, /boosts/],
    ['name:/jo.*/', 5, /regular expressions/],
    ['-name:x', 0, /prefix "-" is not supported/],
    ['name:a && name:b', 7, /"&&" and "\|\|" are not supported/],
    ['name:a\u0000b', 6, /control characters/],
  ];
  for (const [q, position, message] of table) {
    test(`${JSON.stringify(q)} → position ${position}`, () => {
      const err = refusal(q);
      assert.ok(err instanceof AppError);
      assert.deepEqual([err.status, err.code, err.expose, err.position], [400, 'invalid_query_string', true, position]);
      assert.match(err.message, new RegExp(`^Query syntax error at position ${position}: `));
      assert.match(err.message, message);
    });
  }
});

describe('search syntax: limits hold against hostile input', () => {
  test(`a query longer than ${SEARCH_LIMITS.maxLength} characters is refused before parsing; one of exactly that length is read`, () => {
    assert.equal(refusal(`name:${'x'.repeat(10_000)}`).position, SEARCH_LIMITS.maxLength);
    assert.match(refusal('('.repeat(10_000) + 'name:a' + ')'.repeat(10_000)).message, /at most 4096/);
    assert.match(refusal(Array.from({ length: 1000 }, (_, i) => `name:x${i}`).join(' OR ')).message, /at most 4096/);
    assert.equal(parsed('x'.repeat(SEARCH_LIMITS.maxLength)), `_=${JSON.stringify('x'.repeat(SEARCH_LIMITS.maxLength))}`);
  });

  test(`nesting: ${SEARCH_LIMITS.maxDepth} levels of parentheses or NOT are fine, one more is refused where it starts`, () => {
    const nest = (levels: number) => '('.repeat(levels) + 'name:a' + ')'.repeat(levels);
    assert.equal(parsed(nest(SEARCH_LIMITS.maxDepth)), 'name="a"');
    assert.equal(refusal(nest(SEARCH_LIMITS.maxDepth + 1)).position, SEARCH_LIMITS.maxDepth);
    assert.match(refusal(nest(2000)).message, /nesting deeper than 16 levels/);
    assert.equal(refusal(`${'NOT '.repeat(17)}name:a`).position, 16 * 4);
    assert.match(refusal(`${'(NOT '.repeat(800)}a`).message, /nesting deeper/);
  });

  test(`at most ${SEARCH_LIMITS.maxTerms} terms; the first one over is pointed at`, () => {
    const terms = (n: number) => Array.from({ length: n }, () => 'name:a').join(' OR ');
    assert.equal(parseSearchQuery(terms(SEARCH_LIMITS.maxTerms))?.kind, 'or');
    const err = refusal(terms(SEARCH_LIMITS.maxTerms + 1));
    assert.equal(err.position, SEARCH_LIMITS.maxTerms * 10 + 5);
    assert.match(err.message, /more than 100 terms/);
  });

  test('a query that is not a string (q given twice) is a 400 too', () => {
    assert.equal(refusal(['name:a', 'name:b'] as unknown as string).position, 0);
  });

  test('odd input of every kind ends as a SearchQueryError or an AST, never as another exception', () => {
    const pieces = ['(', ')', '"', '\\', ':', '*', '[', ']', '{', '}', ' TO ', ' AND ', ' OR ', 'NOT ', 'name', 'a', ' ', '$', '?', '\u0000', '\ud800'];
    let seed = 42;
    const random = () => { seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31; return seed / 2 ** 31; };
    for (let i = 0; i < 3000; i += 1) {
      const q = Array.from({ length: 1 + Math.floor(random() * 12) }, () => pieces[Math.floor(random() * pieces.length)]).join('');
      try { parseSearchQuery(q); } catch (err) { assert.ok(err instanceof SearchQueryError, `${JSON.stringify(q)} threw ${String(err)}`); }
    }
  });
});
