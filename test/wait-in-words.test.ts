import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { waitInWords } from '../src/lib/wait-in-words.ts';

describe('waitInWords: the Retry-After of a 429 page, for people', () => {
  test('rounded to the nearest minute, hour or day', () => {
    const cases: [number, string][] = [
      [1, 'in a minute'], [60, 'in a minute'], [89, 'in a minute'], [90, 'in about 2 minutes'],
      [900, 'in about 15 minutes'], [59 * 60, 'in about 59 minutes'], [3590, 'in about an hour'], [5399, 'in about an hour'],
      [5400, 'in about 2 hours'], [86_280, 'in about 24 hours'], [47 * 3600, 'in about 47 hours'], [30 * 86_400, 'in about 30 days'],
    ];
    for (const [seconds, words] of cases) assert.equal(waitInWords(seconds), words, `${seconds} s`);
  });
});
