// A metadata key PATCH refuses is refused with its real reason: an empty key or one past 255
// characters was told it "may not start with $ or contain a dot", which it did not.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BadRequestError } from '../src/errors/app-error.ts';
import { assertSafeKeys } from '../src/admin/metadata-merge.ts';

function refusal(key: string): string {
  try {
    assertSafeKeys({ [key]: 1 }, 'user_metadata');
  } catch (err) {
    assert.ok(err instanceof BadRequestError, String(err));
    return err.message;
  }
  assert.fail(`${JSON.stringify(key.slice(0, 20))} was accepted`);
}

test('a metadata key is 1-255 characters in any script, without a leading $, a dot or NUL; a refusal says which', () => {
  for (const key of ['größe', 'shoe size', 'a$b', 'x'.repeat(255)]) assert.doesNotThrow(() => assertSafeKeys({ [key]: 1 }, 'user_metadata'), key.slice(0, 20));
  assert.match(refusal(''), /is empty/);
  assert.match(refusal('x'.repeat(256)), /longer than 255 characters/);
  assert.match(refusal('$set'), /starts with \$/);
  assert.match(refusal('shoe.size'), /contains a dot/);
  assert.match(refusal('a\0b'), /contains NUL/);
});
