import assert from 'node:assert/strict';

/**
 * A report's CSV read back into the rows it claims to hold, undoing insole's escaping (the user
 * export's, Auth0's): every string is quoted and starts with `'`; numbers, ISO dates and empty
 * cells (null) are bare; list columns are joined by "; ". Anything else fails the test.
 */
export function csvRows(text: string, listColumns: readonly string[] = []): Record<string, unknown>[] {
  const lines = text.split('\r\n');
  assert.equal(lines.pop(), '', 'every row ends with CRLF, the last one too');
  const header = cellsOf(lines[0]).map((cell) => cell.raw);
  return lines.slice(1).map((line) => {
    const cells = cellsOf(line);
    assert.equal(cells.length, header.length, `row has ${cells.length} cells: ${line}`);
    return Object.fromEntries(header.map((name, i) => [name, decode(cells[i], listColumns.includes(name))]));
  });
}

interface Cell { raw: string; quoted: boolean }

function cellsOf(line: string): Cell[] {
  const cells: Cell[] = [];
  for (const match of line.matchAll(/("(?:[^"]|"")*"|[^,"]*)(,|$)/g)) {
    const raw = match[1];
    cells.push(raw.startsWith('"') ? { raw: raw.slice(1, -1).replaceAll('""', '"'), quoted: true } : { raw, quoted: false });
    if (match[2] === '') break;
  }
  return cells;
}

const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{3})?Z$/;

function decode({ raw, quoted }: Cell, list: boolean): unknown {
  if (quoted) {
    assert.ok(raw.startsWith("'"), `a string cell is neutralised with a leading quote: ${raw}`);
    const text = raw.slice(1);
    return list ? (text === '' ? [] : text.split('; ')) : text;
  }
  if (raw === '') return list ? [] : null;
  if (ISO.test(raw)) return raw;
  assert.match(raw, /^-?\d+(\.\d+)?$/, `a bare cell is a number or an ISO date: ${raw}`);
  return Number(raw);
}
