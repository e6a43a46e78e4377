// Where one sign-in's time, CPU and database commands go, hop by hop: sequential sign-ins against a
// second insole process on the same database whose MongoDB client has command monitoring on, so every
// command is counted, the rate limiter's too (the measured instance runs without that overhead).
import { verify } from '@node-rs/argon2';
import { mean, median, printTable } from './bench-stats.ts';
import { startInsoleProcess, type BenchUser, type InsoleProcess } from './insole-child.ts';

const { buildAuthorization, discoverStorefront, exchangeCode } = await import('../test/support/relying-party.ts');
const { readForm, UserAgent } = await import('../test/support/user-agent.ts');

type Rp = Awaited<ReturnType<typeof discoverStorefront>>;

export interface BreakdownDeps {
  databaseUri: string;
  overrides: Record<string, unknown>;
  users: BenchUser[];
  signInAt(issuer: string, config: Rp, user?: BenchUser): Promise<void>;
  n: number;
}

// The sign-in POST resumes the authorization itself (src/oidc/resume-here.ts): until the twelfth
// session (bench/README.md) a GET /authorize/:uid hop did, after the POST's 303 to it.
const HOPS = ['GET /authorize → sign-in page', 'POST /interaction/:uid/login (+ resume) → 303',
  'POST /oauth/token (+ RP checks)'];

export async function printBreakdown({ databaseUri, overrides, users, signInAt, n }: BreakdownDeps): Promise<void> {
  const observed = await startInsoleProcess(databaseUri, overrides, { monitorCommands: true });
  try {
    const rp = await discoverStorefront(observed.issuer);
    for (let i = 0; i < 10; i++) await signInAt(observed.issuer, rp, users[i % users.length]); // warm-up of the second instance
    await breakdownAt(observed, rp, users, n);
  } finally {
    await observed.stop();
  }
}

async function breakdownAt(target: InsoleProcess, rp: Rp, users: BenchUser[], n: number): Promise<void> {
  const wall: number[][] = HOPS.map(() => []);
  const cpu: number[][] = HOPS.map(() => []);
  const commands: number[] = HOPS.map(() => 0);
  const totals: number[] = [];
  const verifies: number[] = [];
  const start = await target.commands();

  for (let i = 0; i < n; i++) {
    const user = users[i % users.length];
    const request = await buildAuthorization(rp);
    const agent = new UserAgent(target.issuer);
    let hop = 0;
    /** Times one hop, and charges the insole process's CPU and database commands in between to it. */
    const step = async <T>(work: () => Promise<T>): Promise<T> => {
      const [cpu0, db0] = await Promise.all([target.cpu(), target.commands()]);
      const t0 = performance.now();
      const result = await work();
      wall[hop].push(performance.now() - t0);
      const [cpu1, db1] = await Promise.all([target.cpu(), target.commands()]);
      cpu[hop].push(cpu1.totalMs - cpu0.totalMs);
      commands[hop] += db1.total - db0.total;
      hop++;
      return result;
    };
    const form = await step(async () => {
      const r = await agent.request(request.url);
      if (r.status !== 200) throw new Error(`/authorize answered ${r.status}, not the sign-in page`);
      return readForm(await r.text());
    });
    const callback = await step(async () => {
      const r = await agent.request(new URL(form.action, target.issuer).href, {
        method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ email: user.email, password: user.password, _csrf: form.csrf }).toString(),
      });
      await r.arrayBuffer();
      const location = r.headers.get('location') ?? '';
      if (r.status !== 303 || !location.startsWith('http://127.0.0.1:4999/callback')) throw new Error(`sign-in POST answered ${r.status} to ${location}`);
      return location;
    });
    await step(async () => {
      const tokens = await exchangeCode(rp, callback, request);
      if (tokens.claims()?.sub !== user.userId) throw new Error('breakdown: wrong subject');
    });
    totals.push(wall.reduce((sum, hops) => sum + hops.at(-1)!, 0));
    const v0 = performance.now();
    await verify(user.passwordHash, user.password);
    verifies.push(performance.now() - v0);
  }

  const end = await target.commands();
  const allCommands = end.total - start.total;
  const cpuTotals = cpu[0].map((_, i) => cpu.reduce((sum, hops) => sum + hops[i], 0));
  console.log('');
  console.log(`Where one sign-in's time goes (concurrency 1, ${n} sequential sign-ins; wall ms, insole process CPU ms, database commands):`);
  printTable(['step', 'wall median', 'wall mean', 'insole CPU mean', 'DB commands'], [
    ...HOPS.map((name, k) => [name, median(wall[k]).toFixed(1), mean(wall[k]).toFixed(1), mean(cpu[k]).toFixed(2), (commands[k] / n).toFixed(1)]),
    ['total sign-in', median(totals).toFixed(1), mean(totals).toFixed(1), mean(cpuTotals).toFixed(2), (allCommands / n).toFixed(1)],
    ['bare argon2 verify (for comparison)', median(verifies).toFixed(1), mean(verifies).toFixed(1), '', ''],
  ]);
  const byCommand = Object.entries(end.counts).map(([k, c]) => [k, c - (start.counts[k] ?? 0)] as const).filter(([, c]) => c > 0);
  console.log(`database commands per sign-in: ${(allCommands / n).toFixed(1)} (goal <= 12) — ` +
    byCommand.sort((a, b) => b[1] - a[1]).map(([k, c]) => `${k} ${(c / n).toFixed(1)}`).join(', '));
}
