import type { ProxiedRequest } from './balancer.ts';
import type { Attempt } from './load.ts';
import { ALREADY_EXISTS, type Shopper } from './shopper-flows.ts';

/** Figures are printed, never asserted (except where the issue states one; the scenario says how). */

export function percentile(values: number[], p: number): number {
  if (!values.length) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

export const ms = (value: number) => (Number.isFinite(value) ? `${Math.round(value)} ms` : '–');
export const seconds = (value: number) => (Number.isFinite(value) ? `${(value / 1000).toFixed(1)} s` : '–');

export interface Window { label: string; from: number; to: number }

/** Attempts that started in [from, to). */
export const startedIn = (attempts: Attempt[], from: number, to: number) => attempts.filter((a) => a.start >= from && a.start < to);

/** Failures of insole (an "already exists" is the shopper's retry finding its account, not a failure). */
export const failures = (attempts: Attempt[]) => attempts.filter((a) => a.ok === false && a.reason !== ALREADY_EXISTS);

export function latencyLine(attempts: Attempt[], windows: Window[]): string {
  return windows.map(({ label, from, to }) => {
    const done = startedIn(attempts, from, to).filter((a) => a.ok).map((a) => a.end! - a.start);
    return `${label} p50 ${ms(percentile(done, 50))} p99 ${ms(percentile(done, 99))} (n=${done.length})`;
  }).join(' · ');
}

export function signInFigures(attempts: Attempt[], from: number, to: number): Record<string, string | number> {
  const inWindow = startedIn(attempts, from, to);
  const failed = failures(inWindow);
  const byReason = new Map<string, number>();
  for (const a of failed) byReason.set(a.reason!, (byReason.get(a.reason!) ?? 0) + 1);
  return {
    'sign-ins started': inWindow.length,
    completed: inWindow.filter((a) => a.ok).length,
    failed: failed.length,
    'errors by cause': failed.length ? [...byReason].map(([reason, n]) => `${reason} ×${n}`).join(', ') : 'none',
    'retries that found their account (already exists)': inWindow.filter((a) => a.reason === ALREADY_EXISTS).length,
  };
}

/** The mailed-link confirmations that ended in each window (when the address was verified), and what they met on the way. */
export function confirmationFigures(shoppers: Shopper[], windows: Window[]): Record<string, string | number> {
  const all = shoppers.map((s) => s.confirmation).filter((c) => c?.end !== undefined && c.end >= windows[0]!.from);
  const ended = (from: number, to: number) => all.filter((c) => c!.end! >= from && c!.end! < to);
  const failures = all.flatMap((c) => c!.failures);
  return {
    'email confirmations ended': windows.map(({ label, from, to }) => `${label} ${ended(from, to).length}`).join(' · '),
    'their failed requests, tried again': failures.length ? `${failures.length}: ${[...new Set(failures)].slice(0, 3).join(', ')}` : 0,
    'links spent by a lost answer / new links asked': `${all.reduce((n, c) => n + c!.spent, 0)} / ${all.reduce((n, c) => n + c!.resent, 0)}`,
  };
}

export function requestFigures(log: ProxiedRequest[], from: number, to: number): Record<string, string | number> {
  const inWindow = log.filter((r) => r.start >= from && r.start < to);
  const byStatus = new Map<string, number>();
  for (const r of inWindow) {
    const key = r.error ? `502 (${r.error})` : r.status === undefined ? 'not answered' : `${String(r.status).slice(0, 1)}xx`;
    byStatus.set(key, (byStatus.get(key) ?? 0) + 1);
  }
  const open = inWindow.filter((r) => r.end === undefined);
  const perInstance = new Map<string, number>();
  for (const r of inWindow) perInstance.set(r.upstream ?? '-', (perInstance.get(r.upstream ?? '-') ?? 0) + 1);
  return {
    requests: inWindow.length,
    'by status': [...byStatus].sort().map(([k, n]) => `${k} ${n}`).join(', '),
    'by instance': [...perInstance].sort().map(([k, n]) => `${k} ${n}`).join(', '),
    ...(open.length ? { 'not answered yet': open.slice(0, 5).map((r) => `${r.method} ${r.path} via ${r.upstream} since ${new Date(r.start).toISOString()}`).join('; ') } : {}),
  };
}

export function printBlock(title: string, rows: Record<string, string | number>): void {
  console.log(`  ${title}`);
  const width = Math.max(...Object.keys(rows).map((k) => k.length));
  for (const [key, value] of Object.entries(rows)) console.log(`    ${key.padEnd(width)}  ${value}`);
}
