/** Where progress goes: process.stderr, or anything shaped like it (tests). */
export interface ProgressOutput {
  isTTY?: boolean;
  columns?: number;
  write(text: string): unknown;
}

export interface ProgressBar {
  /** `done` items of the total are finished. */
  update(done: number): void;
  /** Draws the final state and ends the line. */
  finish(): void;
}

const count = (n: number) => Math.round(n).toLocaleString('en-US');

function duration(seconds: number): string {
  if (!Number.isFinite(seconds)) return '?';
  const s = Math.max(0, Math.round(seconds));
  return s >= 60 ? `${Math.floor(s / 60)}m ${String(s % 60).padStart(2, '0')}s` : `${s}s`;
}

/**
 * A one-line progress bar on a terminal, redrawn in place with `\r` at most every 100 ms. When the
 * output is not a terminal (a log file, CI, a pipe), carriage returns would pile up into one
 * garbled line, so it prints a plain line at every tenth instead.
 */
export function createProgressBar(output: ProgressOutput, { total, unit }: { total: number; unit: string }, clock = () => performance.now()): ProgressBar {
  const startedAt = clock();
  let done = 0;
  let drawnAt = -Infinity;
  let tenthsPrinted = 0;

  function stats() {
    const seconds = (clock() - startedAt) / 1000;
    const rate = seconds > 0 ? done / seconds : 0;
    const percent = total ? Math.floor((100 * done) / total) : 100;
    return { seconds, rate, percent, eta: rate > 0 ? (total - done) / rate : Infinity };
  }

  function drawBar(): void {
    const { rate, percent, eta } = stats();
    const width = Math.max(10, Math.min(30, (output.columns ?? 80) - 60));
    const filled = Math.round((width * percent) / 100);
    const bar = '█'.repeat(filled) + '░'.repeat(width - filled);
    output.write(`\r${bar} ${String(percent).padStart(3)}% ${count(done)}/${count(total)} ${unit} · ${count(rate)}/s · ETA ${duration(eta)}\x1b[K`);
    drawnAt = clock();
  }

  function printLine(): void {
    const { seconds, rate, percent } = stats();
    output.write(`${percent}% (${count(done)}/${count(total)} ${unit}, ${count(rate)}/s, ${duration(seconds)})\n`);
  }

  return {
    update(value) {
      done = Math.min(value, total);
      if (output.isTTY) {
        if (clock() - drawnAt >= 100) drawBar();
        return;
      }
      const tenths = total ? Math.floor((10 * done) / total) : 10;
      if (tenths > tenthsPrinted && done < total) {
        tenthsPrinted = tenths;
        printLine();
      }
    },
    finish() {
      if (output.isTTY) {
        drawBar();
        output.write('\n');
      } else {
        printLine();
      }
    },
  };
}
