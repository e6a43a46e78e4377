import assert from 'node:assert/strict';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { createServer } from 'node:http';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import mongoose from 'mongoose';
import { runCli } from '../src/cli/insole.ts';
import { cli } from './support/cli-run.ts';
import { freePort, testDatabaseUri } from './support/insole.ts';

/**
 * The CLI without MONGODB_URI, as on a developer's machine: the database is the one whose address
 * `npm start` noted in <data_dir>/mongo/uri, or an embedded one of its own. Answers what it printed
 * and how many database connections it opened (mongoose keeps every connection made, closed or not,
 * in `mongoose.connections`: one per address the driver was asked to try).
 */
async function cliWithoutUri(dataDir: string, ...args: string[]): Promise<{ code: number; out: string; connections: number }> {
  const saved = { uri: process.env.MONGODB_URI, config: process.env.INSOLE_CONFIG, log: console.log, error: console.error };
  const configFile = join(dataDir, 'config.json');
  await writeFile(configFile, JSON.stringify({ data_dir: dataDir }));
  const out: string[] = [];
  const known = mongoose.connections.length;
  delete process.env.MONGODB_URI;
  process.env.INSOLE_CONFIG = configFile;
  console.log = console.error = (...parts: unknown[]) => { out.push(parts.join(' ')); };
  try {
    const code = await runCli(args);
    return { code, out: out.join('\n'), connections: mongoose.connections.length - known };
  } finally {
    Object.assign(console, { log: saved.log, error: saved.error });
    process.env.MONGODB_URI = saved.uri;
    if (saved.config === undefined) delete process.env.INSOLE_CONFIG;
    else process.env.INSOLE_CONFIG = saved.config;
  }
}

describe('the CLI finds the database npm start runs, and is not held up by one that was killed', () => {
  let dataDir: string;
  before(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'insole-cli-db-'));
    await mkdir(join(dataDir, 'mongo'));
  });
  after(() => rm(dataDir, { recursive: true, force: true }));

  test('a uri file left by a killed server (nothing listens there) is passed over at once: the driver never tries it, and the file stays', async () => {
    const deadPort = await freePort();
    const uriFile = join(dataDir, 'mongo', 'uri');
    await writeFile(uriFile, `mongodb://127.0.0.1:${deadPort}/insole`);
    const { code, out, connections } = await cliWithoutUri(dataDir, 'clients', 'list');
    assert.equal(code, 0, out);
    // One connection, to the embedded database: none to the dead address, where the driver would have waited out its server selection (5 s).
    assert.equal(connections, 1);
    assert.match(out, new RegExp(`names 127\\.0\\.0\\.1:${deadPort}, where no server listens .*: starting the embedded database\\.`));
    assert.ok(existsSync(join(dataDir, 'mongo', 'insole.mv')), 'the CLI ran its own embedded database on the data file');
    assert.ok(existsSync(uriFile), 'the file is left for the next npm start to replace');
  });

  test('a uri file of a server that runs is used: the CLI works on that database and starts none of its own', async () => {
    const running = testDatabaseUri();
    const created = await cli(running, 'clients', 'create', '--m2m', '--scopes', 'read:users', '--name', 'Reached through the uri file');
    assert.equal(created.code, 0, created.out);
    const own = join(dataDir, 'own');
    await mkdir(join(own, 'mongo'), { recursive: true });
    await writeFile(join(own, 'mongo', 'uri'), running);
    const { code, out, connections } = await cliWithoutUri(own, 'clients', 'list');
    assert.equal(code, 0, out);
    assert.match(out, /\tReached through the uri file\t/);
    assert.doesNotMatch(out, /no server listens/);
    assert.equal(connections, 1);
    assert.ok(!existsSync(join(own, 'mongo', 'insole.mv')), 'no embedded database was started');
    assert.ok(existsSync(join(own, 'mongo', 'uri')), 'the running server\'s file is untouched');
  });

  test('a uri file naming a port another program took since (an HTTP server) is passed over at the driver\'s first failed handshake, not after its 5-s server selection', async () => {
    const handshakes: string[] = []; // connections it accepted
    // Node's HTTP server answers the driver's binary hello with a 400 and closes: no MongoDB answer.
    const other = createServer((_req, res) => res.end('not a database')).on('connection', (socket) => handshakes.push(socket.remoteAddress ?? ''));
    other.listen(0, '127.0.0.1');
    await once(other, 'listening');
    const own = join(dataDir, 'taken');
    await mkdir(join(own, 'mongo'), { recursive: true });
    const uri = `mongodb://127.0.0.1:${(other.address() as { port: number }).port}/insole`;
    await writeFile(join(own, 'mongo', 'uri'), uri);
    try {
      const { code, out, connections } = await cliWithoutUri(own, 'clients', 'list');
      assert.equal(code, 0, out);
      assert.match(out, new RegExp(`names ${uri.replace(/[.]/g, '\\.')}, where something listens that does not answer as the database .*: starting the embedded database\\.`));
      // The port check's connection and one handshake, not a server selection's worth of heartbeats (one each 0.5 s).
      assert.equal(handshakes.length, 2);
      assert.equal(connections, 2, 'the one tried there, and the embedded database');
      assert.ok(existsSync(join(own, 'mongo', 'insole.mv')), 'the CLI ran its own embedded database on the data file');
    } finally {
      other.closeAllConnections();
      other.close();
    }
  });
});
