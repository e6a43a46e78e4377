import type { ChartSpec } from './chart-spec.ts';
import type { DemographicsAnswer, DormantSummaryAnswer, LifecycleAnswer, OverviewAnswer, SegmentAnswer } from './api-answers.ts';

/** The connections seen in the range, in name order (each a series of the activity charts). */
export function connectionsOf(overview: OverviewAnswer): string[] {
  return [...new Set(overview.days.flatMap((d) => d.connections.map((c) => c.connection)))].sort();
}

/** Sign-ups or sign-ins per day, one stacked series per connection. */
export function activityChart(overview: OverviewAnswer, what: 'signups' | 'signins'): ChartSpec {
  return {
    type: 'bar', stacked: true, title: `${what === 'signups' ? 'Sign-ups' : 'Sign-ins'} per day by connection`,
    labels: overview.days.map((d) => d.date),
    series: connectionsOf(overview).map((connection) => ({
      label: connection, data: overview.days.map((d) => d.connections.find((c) => c.connection === connection)?.[what] ?? 0),
    })),
  };
}

export const sumOf = (overview: OverviewAnswer, what: 'signups' | 'signins') => overview.days.reduce((total, d) => total + d[what], 0);

export const LIFECYCLE_ORDER = ['new', 'active', 'reactivated', 'lapsing', 'dormant', 'never_returned', 'unknown'];

export function lifecycleChart(lifecycle: LifecycleAnswer): ChartSpec {
  const states = LIFECYCLE_ORDER.filter((s) => s in lifecycle.states);
  return { type: 'bar', title: 'Users per lifecycle state', labels: states.map((s) => s.replace('_', ' ')), series: [{ label: 'Users', data: states.map((s) => lifecycle.states[s]) }] };
}

/** The retention grid: one row per cohort, one cell per week since sign-up; a heat class in tenths (CSS, no inline style). */
export function cohortGrid(lifecycle: LifecycleAnswer) {
  const width = Math.max(0, ...lifecycle.cohorts.map((c) => c.retention.length));
  return {
    weeks: Array.from({ length: width }, (_, i) => i),
    rows: lifecycle.cohorts.map((c) => ({
      week: c.week, users: c.users,
      cells: Array.from({ length: width }, (_, i) => {
        const cell = c.retention[i];
        return cell ? { share: `${(cell.share * 100).toFixed(1)}%`, heat: Math.min(10, Math.round(cell.share * 10)), active: cell.active, eligible: cell.eligible } : undefined;
      }),
    })),
  };
}

export function dormantTrendChart(summary: DormantSummaryAnswer, title: string): ChartSpec {
  return { type: 'bar', title, labels: summary.weeks.map((w) => w.week), series: [{ label: 'Users', data: summary.weeks.map((w) => w.users) }] };
}

export function demographicCharts(d: DemographicsAnswer): Record<'age' | 'gender' | 'topics' | 'keys', ChartSpec> {
  return {
    age: { type: 'bar', title: 'Enriched users by age', labels: d.age.map((a) => a.bucket), series: [{ label: 'Users', data: d.age.map((a) => a.count) }] },
    gender: { type: 'doughnut', title: 'Enriched users by gender', labels: d.gender.map((g) => g.value), series: [{ label: 'Users', data: d.gender.map((g) => g.count) }] },
    topics: { type: 'bar', horizontal: true, title: 'Top interest topics', labels: d.topics.map((t) => t.topic), series: [{ label: 'Users', data: d.topics.map((t) => t.users) }] },
    keys: { type: 'bar', horizontal: true, title: 'Users per interest', labels: d.interest_keys.map((k) => k.key), series: [{ label: 'Users', data: d.interest_keys.map((k) => k.users) }] },
  };
}

export function sentimentChart(overview: OverviewAnswer): ChartSpec {
  const labels = ['negative', 'neutral', 'positive', 'other', 'none'] as const;
  return { type: 'doughnut', title: 'Users by sentiment', labels: labels.map((l) => (l === 'none' ? 'not analysed' : l)), series: [{ label: 'Users', data: labels.map((l) => overview.sentiment[l]) }] };
}

export function enrichmentChart(overview: OverviewAnswer): ChartSpec {
  const states = ['matched', 'no_match', 'pending', 'none'] as const;
  return { type: 'bar', title: 'FullContact enrichment', labels: ['matched', 'no match', 'pending', 'not checked'], series: [{ label: 'Users', data: states.map((s) => overview.enrichment[s]) }] };
}

/** The key of the pre-order segment the dashboard offers to create (issue 10's first campaign). */
export const PREORDER_KEY = 'pre-order';

/** The pre-order segment first, then the others by name. */
export function orderSegments(segments: SegmentAnswer[]): SegmentAnswer[] {
  return [...segments].sort((a, b) => Number(b.key === PREORDER_KEY) - Number(a.key === PREORDER_KEY) || a.name.localeCompare(b.name));
}
