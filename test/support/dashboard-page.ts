import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import type { Page } from 'playwright-core';
import { shown } from './dashboard.ts';

const AXE = createRequire(import.meta.url).resolve('axe-core/axe.min.js');
let axeSource: string | undefined;

/**
 * axe-core run in the page. Evaluated through the DevTools protocol, which the page's CSP does
 * not govern: the audit needs no relaxation of the policy, and a script tag would be refused (and reported).
 */
export async function auditAccessibility(page: Page): Promise<{ id: string; impact: string; help: string; targets: string[] }[]> {
  axeSource ??= await readFile(AXE, 'utf8');
  await page.evaluate(`${axeSource};void 0`);
  const violations = await page.evaluate(async () => {
    const axe = (window as unknown as { axe: { run(context: Document, options: object): Promise<{ violations: { id: string; impact: string; help: string; nodes: { target: string[] }[] }[] }> } }).axe;
    const result = await axe.run(document, { resultTypes: ['violations'] });
    return result.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, targets: v.nodes.slice(0, 5).map((n) => n.target.join(' ')) }));
  });
  return violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
}

/** A number the page shows under data-metric. */
export async function metric(page: Page, name: string): Promise<number> {
  const text = await page.locator(`[data-metric="${name}"]`).first().textContent();
  assert.ok(text !== null, `the page shows ${name}`);
  return shown(text);
}

/** A table's cells as text, row by row (header row first). */
export async function tableOf(page: Page, selector: string): Promise<string[][]> {
  return page.locator(selector).first().evaluate((table: HTMLTableElement) => Array.from(table.rows, (row) => Array.from(row.cells, (cell) => (cell.textContent ?? '').trim())));
}

/** A chart's data table as { row label → { column → number } }. */
export async function chartNumbers(page: Page, id: string): Promise<Record<string, Record<string, number>>> {
  const [head, ...rows] = await tableOf(page, `table[data-table="${id}"]`);
  return Object.fromEntries(rows.map((row) => [row[0], Object.fromEntries(head.slice(1).map((column, i) => [column, shown(row[i + 1])]))]));
}
