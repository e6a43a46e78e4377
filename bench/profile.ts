// Diagnostics for the benches: a CPU profile of this process (through node:inspector, no flags
// needed) summarised by who did the work, and a count of database commands from the driver's monitoring.
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mongoose from 'mongoose';

interface ProfileNode { id: number; callFrame: { functionName: string; url: string; lineNumber: number }; hitCount?: number }
interface CpuProfile { nodes: ProfileNode[]; startTime: number; endTime: number; samples: number[]; timeDeltas: number[] }

export interface CpuProfileSummary {
  file: string;
  /** Main-thread time not idle: CPU, plus time the thread was runnable or preempted inside a call (wall-clock samples). */
  totalMs: number;
  /** By who did the work, from each sample's whole stack: the RP client, or which layer of the server. */
  byRole: [string, number][];
  byGroup: [string, number][];
  byFunction: [string, number][];
}

/** Starts the V8 sampling profiler in this process; `stop(label)` writes the profile and summarises it. */
export function startCpuProfile(): { stop(label: string): Promise<CpuProfileSummary> } {
  const session = new Session();
  session.connect();
  const started = (async () => {
    await session.post('Profiler.enable');
    await session.post('Profiler.setSamplingInterval', { interval: 200 });
    await session.post('Profiler.start');
  })();
  return {
    async stop(label) {
      await started;
      const { profile } = (await session.post('Profiler.stop')) as unknown as { profile: CpuProfile };
      session.disconnect();
      return summarise(profile, label);
    },
  };
}

function summarise(profile: CpuProfile, label: string): CpuProfileSummary {
  const file = join(tmpdir(), `insole-${label}-${Date.now()}.cpuprofile`);
  writeFileSync(file, JSON.stringify(profile));

  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parentOf = new Map<number, number>();
  for (const node of profile.nodes) for (const child of (node as ProfileNode & { children?: number[] }).children ?? []) parentOf.set(child, node.id);
  const stackOf = (id: number) => {
    const frames: ProfileNode['callFrame'][] = [];
    for (let at: number | undefined = id; at !== undefined; at = parentOf.get(at)) frames.push(byId.get(at)!.callFrame);
    return frames;
  };
  const roles = new Map<string, number>();
  const selfUs = new Map<number, number>();
  profile.samples.forEach((id, i) => selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)));
  const groups = new Map<string, number>();
  const functions = new Map<string, number>();
  let totalUs = 0;
  for (const [id, us] of selfUs) {
    const { functionName, url, lineNumber } = byId.get(id)!.callFrame;
    if (functionName === '(idle)') continue; // waiting: the event loop had nothing to run
    if (url.startsWith('node:inspector')) continue; // the profiler's own stop call
    totalUs += us;
    const role = roleOf(stackOf(id));
    roles.set(role, (roles.get(role) ?? 0) + us);
    const group = groupOf(url, functionName);
    groups.set(group, (groups.get(group) ?? 0) + us);
    const fn = `${functionName || '(anonymous)'} ${shortUrl(url)}${url ? `:${lineNumber + 1}` : ''}`;
    functions.set(fn, (functions.get(fn) ?? 0) + us);
  }
  const sorted = (m: Map<string, number>) => [...m].sort((a, b) => b[1] - a[1]).map(([k, us]) => [k, us / 1000] as [string, number]);
  return { file, totalMs: totalUs / 1000, byRole: sorted(roles), byGroup: sorted(groups), byFunction: sorted(functions) };
}

function roleOf(stack: ProfileNode['callFrame'][]): string {
  const leaf = stack[0].functionName;
  if (leaf === '(garbage collector)') return 'garbage collector';
  if (leaf === '(program)') return 'V8/Node internals (program)';
  const urls = stack.map((f) => f.url).join(' ');
  if (/openid-client|oauth4webapi|deps\/undici|\/test\/support\/|\/bench\//.test(urls)) return 'RP client: openid-client, fetch, bench driver';
  if (/node_modules\/(mongodb|mongoose|bson)\//.test(urls)) {
    return leaf === 'writeBuffer' ? 'server: MongoDB socket writes (syscall; includes preemption)' : 'server: MongoDB driver, mongoose, bson';
  }
  if (/node_modules\/(oidc-provider|koa|@koa|jose|quick-lru)/.test(urls)) return 'server: oidc-provider (koa, jose)';
  if (/node_modules\/(express|router|body-parser|raw-body|csrf-csrf|cookie-parser|helmet|ejs|zod)|\/src\/|node:_http/.test(urls)) {
    return 'server: express, insole routes, csrf, ejs, http';
  }
  return `other: ${leaf || '(anonymous)'}`;
}

function groupOf(url: string, functionName: string): string {
  if (!url) return functionName.startsWith('(') ? functionName : '(native / V8 builtins)';
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (pkg) return pkg[1];
  if (url.startsWith('node:')) return `node:${url.slice(5).split('/')[0] === 'internal' ? url.slice(14).split('/')[0] : url.slice(5)}`;
  const own = /\/(src|test|bench)\/(.*)$/.exec(url);
  return own ? `${own[1]}/${own[2]}` : url;
}

function shortUrl(url: string): string {
  const pkg = /node_modules\/(.*)$/.exec(url);
  if (pkg) return pkg[1];
  const own = /\/((?:src|test|bench)\/.*)$/.exec(url);
  return own ? own[1] : url;
}

/**
 * Counts the commands a MongoClient sends (collection.command), from the driver's command monitoring:
 * everything, whether it went through mongoose or straight to the driver (rate limiter, adapter).
 * The client must have been created with monitorCommands (e.g. `?monitorCommands=true` in its URI).
 */
export function countCommands(client: mongoose.mongo.MongoClient) {
  const counts = new Map<string, number>();
  let total = 0;
  const listener = (event: mongoose.mongo.CommandStartedEvent) => {
    const target = event.command[event.commandName];
    const key = typeof target === 'string' ? `${target}.${event.commandName}` : event.commandName;
    counts.set(key, (counts.get(key) ?? 0) + 1);
    total++;
  };
  client.on('commandStarted', listener);
  return {
    counts,
    total: () => total,
    stop: () => { client.off('commandStarted', listener); },
  };
}
