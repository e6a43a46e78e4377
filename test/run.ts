// The README's test command. Starts one in-memory dev MongoDB-wire server for the whole run unless
// MONGODB_URI is set (e.g. a real mongo:7 in GitHub Actions); each test file uses its own database.
import { spawn } from 'node:child_process';
import { globSync } from 'node:fs';
import { startEmbeddedMongo, type EmbeddedMongo } from '../src/db/embedded-mongo.ts';

const patterns = process.argv.slice(2);
const files = globSync(patterns.length ? patterns : ['test/**/*.test.ts']).sort();

let embedded: EmbeddedMongo | undefined;
if (!process.env.MONGODB_URI) {
  embedded = await startEmbeddedMongo();
  process.env.MONGODB_URI = embedded.uri;
}

const child = spawn(process.execPath, ['--test', '--test-concurrency=2', '--test-timeout=120000', ...files], {
  stdio: 'inherit',
  env: { ...process.env, NODE_ENV: 'test' },
});
const code: number = await new Promise((resolve) => child.on('exit', (c, signal) => resolve(c ?? (signal ? 1 : 0))));
await embedded?.stop();
process.exit(code);
