import type { Sample } from './soak-samples.ts';

/**
 * The soak's charts as one self-contained SVG (no library, opens in any browser): one panel per
 * figure, time in minutes across, one line per instance where the figure is per instance.
 */
interface Panel { title: string; unit: string; series: { name: string; values: number[] }[] }

const COLORS = ['#e4572e', '#2e86ab', '#3bb273', '#7768ae'];
const W = 460;
const H = 170;
const PAD = { left: 52, right: 12, top: 26, bottom: 28 };

function panel({ title, unit, series }: Panel, minutes: number[], x0: number, y0: number): string {
  const all = series.flatMap((s) => s.values).filter(Number.isFinite);
  const top = Math.max(1e-9, ...all) * 1.1;
  const span = Math.max(1e-9, minutes.at(-1) ?? 1);
  const px = (m: number) => x0 + PAD.left + (m / span) * (W - PAD.left - PAD.right);
  const py = (v: number) => y0 + H - PAD.bottom - (v / top) * (H - PAD.top - PAD.bottom);
  const lines = series.map((s, i) => {
    const points = s.values.map((v, j) => (Number.isFinite(v) ? `${px(minutes[j]!).toFixed(1)},${py(v).toFixed(1)}` : '')).filter(Boolean).join(' ');
    return `<polyline fill="none" stroke="${COLORS[i % COLORS.length]}" stroke-width="1.5" points="${points}"/>`;
  }).join('');
  const legend = series.length > 1 ? series.map((s, i) => `<text x="${x0 + W - 90 + 0}" y="${y0 + 14 + i * 11}" font-size="9" fill="${COLORS[i % COLORS.length]}">${s.name}</text>`).join('') : '';
  const ticks = [0, 0.5, 1].map((f) => `<text x="${x0 + PAD.left - 4}" y="${py(top * f / 1.1) + 3}" font-size="9" text-anchor="end">${(top * f / 1.1).toPrecision(3)}</text>`).join('');
  return `<g><rect x="${x0}" y="${y0}" width="${W}" height="${H}" fill="#fff" stroke="#ddd"/>
<text x="${x0 + 8}" y="${y0 + 15}" font-size="11" font-weight="bold">${title} (${unit})</text>${ticks}
<line x1="${px(0)}" y1="${py(0)}" x2="${px(span)}" y2="${py(0)}" stroke="#999"/>
<text x="${px(span)}" y="${y0 + H - 8}" font-size="9" text-anchor="end">${span.toFixed(1)} min</text>${lines}${legend}</g>`;
}

export function soakChart(samples: Sample[], started: number, caption: string): string {
  const minutes = samples.map((s) => (s.at - started) / 60_000);
  const names = samples[0]?.instances.map((_, i) => `insole-${'abc'[i]}`) ?? [];
  const perInstance = (pick: (i: Sample['instances'][number]) => number) => names.map((name, i) => ({ name, values: samples.map((s) => pick(s.instances[i]!)) }));
  const panels: Panel[] = [
    { title: 'Resident memory', unit: 'MB', series: perInstance((i) => i.rssMb) },
    { title: 'V8 heap in use', unit: 'MB', series: perInstance((i) => i.heapMb) },
    { title: 'Event-loop delay p99', unit: 'ms', series: perInstance((i) => i.loopP99Ms) },
    { title: 'Active handles', unit: 'count', series: perInstance((i) => i.handles) },
    { title: 'MongoDB pool connections', unit: 'count', series: perInstance((i) => i.pool) },
    { title: 'Backlogs', unit: 'records', series: [{ name: 'outbox', values: samples.map((s) => s.outboxBacklog) }, { name: 'hook jobs', values: samples.map((s) => s.jobBacklog) }] },
    { title: 'Sign-in p99', unit: 'ms', series: [{ name: 'p99', values: samples.map((s) => s.signInP99Ms) }] },
    { title: 'CPU per sign-in', unit: 'ms', series: [{ name: 'insole (3)', values: samples.map((s) => s.cpu.instancesMs) }, { name: 'database', values: samples.map((s) => s.cpu.databaseMs) }, { name: 'its GC threads', values: samples.map((s) => s.cpu.databaseGcMs) }] },
    { title: 'Other load on the machine', unit: 'cores', series: [{ name: 'other', values: samples.map((s) => s.cpu.otherCores) }] },
    { title: "The soak's own process", unit: 'ms', series: [{ name: 'loop p99', values: samples.map((s) => s.load.loopP99Ms) }, { name: 'loop max', values: samples.map((s) => s.load.loopMaxMs) }, { name: 'GC in window', values: samples.map((s) => s.load.gcMs) }] },
  ];
  const body = panels.map((p, i) => panel(p, minutes, 10 + (i % 2) * (W + 10), 40 + Math.floor(i / 2) * (H + 10))).join('\n');
  const height = 40 + Math.ceil(panels.length / 2) * (H + 10);
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${2 * W + 30}" height="${height}" font-family="sans-serif">
<text x="10" y="24" font-size="14" font-weight="bold">${caption.replace(/&/g, '&amp;').replace(/</g, '&lt;')}</text>
${body}
</svg>
`;
}
