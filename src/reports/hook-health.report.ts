import type { PipelineStage } from 'mongoose';
import type { HookJobModel } from '../hooks/jobs/hook-job.model.ts';

export interface HookHealth { hook: string; queued: number; retrying: number; running: number; dead: number; disabled: number }

/**
 * The durable hooks' backlog and failures (hook_jobs, src/hooks/jobs): per hook, jobs waiting for
 * their first attempt (queued), waiting after a failed or rate-limited one (retrying: pending with
 * attempts or rate_limited > 0; a rate-limited attempt is not counted in attempts), running, dead
 * (given up; not those a later sign-in superseded: their work was queued again) and disabled (parked
 * by a hook that switched itself off). Done jobs are left out by the $match, which the
 * { state, run_after } index serves.
 */
export function buildHookHealthPipeline(): PipelineStage[] {
  return [
    { $match: { state: { $in: ['pending', 'running', 'dead', 'disabled'] }, superseded_at: null } },
    { $group: { _id: { hook: '$hook', state: '$state', retried: { $or: [{ $gt: ['$attempts', 0] }, { $gt: ['$rate_limited', 0] }] } }, jobs: { $sum: 1 } } },
  ];
}

type Group = { _id: { hook: string; state: string; retried: boolean }; jobs: number };

export function hookHealthRows(groups: Group[]): HookHealth[] {
  const byHook = new Map<string, HookHealth>();
  for (const { _id, jobs } of groups) {
    const row = byHook.get(_id.hook) ?? { hook: _id.hook, queued: 0, retrying: 0, running: 0, dead: 0, disabled: 0 };
    const column = _id.state === 'pending' ? (_id.retried ? 'retrying' : 'queued') : (_id.state as 'running' | 'dead' | 'disabled');
    row[column] += jobs;
    byHook.set(_id.hook, row);
  }
  return [...byHook.values()].sort((a, b) => (a.hook < b.hook ? -1 : 1));
}

export async function runHookHealth(jobs: HookJobModel): Promise<HookHealth[]> {
  return hookHealthRows(await jobs.aggregate<Group>(buildHookHealthPipeline()).exec());
}
