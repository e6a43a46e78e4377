/**
 * What a chart shows, as the dashboard's script hands it to Chart.js (public/assets/dashboard/charts.js)
 * and as the page's table fallback prints it: the same numbers in both.
 */
export interface ChartSpec {
  type: 'bar' | 'line' | 'doughnut';
  /** What the chart is about, for its aria-label. */
  title: string;
  labels: string[];
  series: { label: string; data: number[] }[];
  stacked?: boolean;
  horizontal?: boolean;
}

/** A table of the chart: a header row, then one row per label (series as columns). */
export function chartTable(spec: ChartSpec): { head: string[]; rows: (string | number)[][] } {
  return {
    head: ['', ...spec.series.map((s) => s.label)],
    rows: spec.labels.map((label, i) => [label, ...spec.series.map((s) => s.data[i] ?? 0)]),
  };
}

export const percent = (part: number, whole: number) => (whole ? `${(Math.round((part / whole) * 1000) / 10).toFixed(1)}%` : '0.0%');
