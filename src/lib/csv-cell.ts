/**
 * CSV cells as Auth0 writes its user exports ("Bulk User Exports", supported file formats): string
 * values follow OWASP's CSV-injection advice — every string is prefixed with a single quote, its
 * double quotes are doubled, and it is wrapped in double quotes — so a value such as `=HYPERLINK(…)`,
 * `+1`, `-2`, `@SUM(…)` or one starting with a tab or CR reaches a spreadsheet as text, never as a
 * formula. Auth0-generated ISO 8601 dates are written as they are, and so are numbers and booleans.
 * Rows end with CRLF (RFC 4180).
 */
export const CSV_LINE_END = '\r\n';

export function csvString(value: string): string {
  return `"'${value.replaceAll('"', '""')}"`;
}

export function csvCell(value: unknown, isGeneratedDate = false): string {
  if (value === undefined || value === null) return '';
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (typeof value === 'string') return isGeneratedDate && ISO_DATE.test(value) ? value : csvString(value);
  // An object reached through a metadata path: its JSON, escaped like any string.
  return csvString(JSON.stringify(value));
}

const ISO_DATE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,3})?Z$/;

// Characters that make a spreadsheet read a cell as a formula (OWASP CSV injection).
const FORMULA_START = /^[=+\-@\t\r]/;

/**
 * Column titles: RFC 4180 quoting when needed, and the same neutralisation for a title that starts
 * like a formula (an `export_as` is caller-chosen text).
 */
export function csvHeaderCell(title: string): string {
  const safe = FORMULA_START.test(title) ? `'${title}` : title;
  return /[",\r\n]/.test(safe) || safe !== title ? `"${safe.replaceAll('"', '""')}"` : safe;
}
