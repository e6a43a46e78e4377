import { randomUUID } from 'node:crypto';
import { copyFile, mkdtemp, writeFile } from 'node:fs/promises';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Logger } from '../../src/lib/logger.ts';
import { startTestInsole, testDatabaseUri, type TestInsole } from './insole.ts';

export const EXAMPLES = resolve(import.meta.dirname, '../../rules/examples');

/** A rules folder of its own: `{ name: source }` written as files, `{ name: { example } }` copied from rules/examples. */
export async function rulesFolder(files: Record<string, string | { example: string }>): Promise<string> {
  const folder = await mkdtemp(join(tmpdir(), 'insole-rules-'));
  for (const [name, content] of Object.entries(files)) {
    if (typeof content === 'string') await writeFile(join(folder, name), content);
    else await copyFile(join(EXAMPLES, content.example), join(folder, name));
  }
  return folder;
}

export async function startWithRules(files: Record<string, string | { example: string }>, rules: Record<string, unknown> = {}, logger?: Logger): Promise<TestInsole> {
  return startTestInsole({ rules: { folder: await rulesFolder(files), ...rules } }, testDatabaseUri(), logger);
}

export const newShopper = (label: string) => ({ email: `${label}-${randomUUID().slice(0, 8)}@example.com`, password: 'correct horse battery staple' });

export interface RecordedCall { method: string; path: string; query: URLSearchParams; headers: IncomingHttpHeaders; body: string }
export interface Reply { status?: number; json?: unknown; text?: string; contentType?: string; never?: boolean }

/**
 * A JSON API on loopback standing in for FullContact or the store's sentiment service: records
 * every call and answers with what `reply` returns (`never`: keeps the request open).
 */
export async function startRecordingApi(reply: (call: RecordedCall) => Reply) {
  const calls: RecordedCall[] = [];
  const server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const call = { method: req.method ?? 'GET', path: url.pathname, query: url.searchParams, headers: req.headers, body: Buffer.concat(chunks).toString('utf8') };
    calls.push(call);
    const answer = reply(call);
    if (answer.never) return;
    const body = answer.text ?? JSON.stringify(answer.json ?? {});
    res.writeHead(answer.status ?? 200, { 'content-type': answer.contentType ?? 'application/json' }).end(body);
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    calls,
    callsTo: (path: string) => calls.filter((c) => c.path === path),
    async close() {
      server.closeAllConnections();
      await new Promise((done) => server.close(done));
    },
  };
}

export type RecordingApi = Awaited<ReturnType<typeof startRecordingApi>>;
