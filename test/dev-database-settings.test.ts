// The dev database's INSOLE_DEV_DB_* settings are checked when it starts: a developer who mistypes one
// gets one line naming it and the server does not start, rather than a Java stack trace at the first
// command (INSOLE_DEV_DB_SLOW_MS was read only then).
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { EmbeddedMongoUnavailable, startEmbeddedMongo } from '../src/db/embedded-mongo.ts';

async function startWith(env: NodeJS.ProcessEnv) {
  const folder = join(tmpdir(), `insole-settings-${process.pid}-${Date.now()}`);
  let stderr = '';
  try {
    const server = await startEmbeddedMongo({ dataFile: join(folder, 'dev.mv.db'), env, onStderr: (text) => { stderr += text; } });
    await server.stop();
    return { started: true, stderr };
  } catch (error) {
    assert.ok(error instanceof EmbeddedMongoUnavailable, String(error));
    return { started: false, stderr };
  } finally {
    rmSync(folder, { recursive: true, force: true });
  }
}

describe('the dev database settings', () => {
  for (const [name, value, range] of [
    ['INSOLE_DEV_DB_CACHE_MB', 'lots', '1'],
    ['INSOLE_DEV_DB_TTL_SECONDS', '0', '1'],
    ['INSOLE_DEV_DB_SLOW_MS', '5ms', '0'],
  ] as const) {
    test(`${name}=${value} stops the server at start with a line naming it`, async () => {
      const { started, stderr } = await startWith({ [name]: value });
      assert.equal(started, false);
      assert.match(stderr, new RegExp(`dev database: ${name} must be a whole number from ${range} to \\d+, not "${value}"`));
      assert.doesNotMatch(stderr, /Exception|\tat /, 'no Java stack trace');
    });
  }

  test('valid settings start it', async () => {
    const { started, stderr } = await startWith({ INSOLE_DEV_DB_CACHE_MB: ' 32 ', INSOLE_DEV_DB_TTL_SECONDS: '5', INSOLE_DEV_DB_SLOW_MS: '0' });
    assert.equal(started, true, stderr);
  });
});
