import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Suite } from './suite.ts';

interface Line { time: number; msg: string; ms?: number; job_id?: string; method?: string; path?: string }

/** The instances' log lines (JSON, one per line; <dir>/<name>.log) written in [from, to]. */
async function linesOf(suite: Suite, from: number, to: number): Promise<Line[]> {
  const lines: Line[] = [];
  for (const instance of suite.instances) {
    const text = await readFile(join(suite.dir, `${instance.name}.log`), 'utf8');
    for (const raw of text.split('\n')) {
      if (!raw.startsWith('{')) continue;
      const line = JSON.parse(raw) as Line;
      if (line.time >= from && line.time <= to) lines.push(line);
    }
  }
  return lines;
}

/** Ids of the hook jobs with an attempt ("hook attempt" lines: end time and duration) overlapping [from, to]. */
export async function hookAttemptsOverlapping(suite: Suite, from: number, to: number): Promise<Set<string>> {
  const ids = new Set<string>();
  for (const line of await linesOf(suite, from, Infinity)) {
    if (line.msg === 'hook attempt' && line.time - (line.ms ?? 0) <= to) ids.add(line.job_id!);
  }
  return ids;
}

/** Requests an instance answered with its deadline's 503 (answer_within_ms): something it waited on hung. */
export async function deadlineAnswers(suite: Suite, from: number, to: number): Promise<string[]> {
  return (await linesOf(suite, from, to)).filter((line) => line.msg.startsWith('no answer within the deadline')).map((line) => `${line.method} ${line.path}`);
}
