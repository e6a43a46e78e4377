// What the benches share: the database they measure against, and a median of timed runs.
import { startEmbeddedMongo } from '../src/db/embedded-mongo.ts';

/**
 * MONGODB_URI when set (a real MongoDB); otherwise the embedded dev server, started here and its
 * address put in MONGODB_URI. Call it before importing test support, which reads MONGODB_URI.
 */
export async function benchDatabase(): Promise<{ embedded: boolean; stop(): Promise<void> }> {
  if (process.env.MONGODB_URI) return { embedded: false, stop: async () => {} };
  const embedded = await startEmbeddedMongo();
  process.env.MONGODB_URI = embedded.uri;
  return { embedded: true, stop: () => embedded.stop() };
}

/** The median wall time (ms) of `reps` runs, after `warmups` untimed ones. */
export async function median(run: () => Promise<unknown>, reps: number, warmups = 1): Promise<number> {
  for (let i = 0; i < warmups; i++) await run();
  const times: number[] = [];
  for (let i = 0; i < reps; i++) {
    const t0 = performance.now();
    await run();
    times.push(performance.now() - t0);
  }
  return times.sort((a, b) => a - b)[Math.floor(times.length / 2)]!;
}

/**
 * The median wall time (ms) of each of two runs, taken in alternation (a, b, a, b, …) so that
 * whatever else the machine does meanwhile (a sweep, a GC, another process) weighs on both alike.
 */
export async function pairedMedians(a: () => Promise<unknown>, b: () => Promise<unknown>, reps: number, warmups = 1): Promise<[number, number]> {
  for (let i = 0; i < warmups; i++) {
    await a();
    await b();
  }
  const times: [number[], number[]] = [[], []];
  for (let i = 0; i < reps; i++) {
    for (const [k, run] of [a, b].entries()) {
      const t0 = performance.now();
      await run();
      times[k].push(performance.now() - t0);
    }
  }
  const mid = (list: number[]) => list.sort((x, y) => x - y)[Math.floor(list.length / 2)]!;
  return [mid(times[0]), mid(times[1])];
}
