import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createLogIds } from '../src/logs/log-id.ts';

const sorted = (ids: string[]) => [...ids].sort();

test('log ids of one instance sort in the order they were made, many to a millisecond', () => {
  const start = Date.UTC(2026, 11, 5);
  const clock = { ms: start };
  const nextLogId = createLogIds(() => clock.ms);
  const ids: string[] = [];
  for (let i = 0; i < 3_000; i++) {
    if (i % 1_000 === 999) clock.ms++;
    ids.push(nextLogId());
  }
  assert.deepEqual(sorted(ids), ids);
  assert.equal(new Set(ids).size, ids.length);
  assert.ok(ids.every((id) => /^[0-9a-f]{32}$/.test(id)), ids[0]);
  assert.equal(Number.parseInt(ids[0]!.slice(0, 12), 16), start, 'the time comes first');
  assert.equal(Number.parseInt(ids.at(-1)!.slice(0, 12), 16), start + 3);
});

test('a clock stepped back does not send the ids back; two instances in one millisecond do not collide', () => {
  const clock = { ms: Date.UTC(2026, 11, 5, 12) };
  const nextLogId = createLogIds(() => clock.ms);
  const before = nextLogId();
  clock.ms -= 60_000;
  const after = [nextLogId(), nextLogId()];
  assert.deepEqual(sorted([before, ...after]), [before, ...after]);

  const other = createLogIds(() => clock.ms);
  assert.notEqual(other(), createLogIds(() => clock.ms)());
});
