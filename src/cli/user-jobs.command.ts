import { readFile } from 'node:fs/promises';
import type { Connection } from 'mongoose';
import { defaultExportFields, exportFieldsProblems, MAX_EXPORT_FIELDS, type ExportFormat } from '../admin/jobs/export-fields.ts';
import { writeExport } from '../admin/jobs/user-export.ts';
import { importUsers, parseUsersFile } from '../admin/jobs/user-import.ts';
import { importDepsFor } from '../admin/jobs/user-jobs.ts';
import { ALL_ROLE_RIGHTS } from '../admin/role-members.ts';
import { AppError } from '../errors/app-error.ts';
import type { Config } from '../config/schema.ts';
import { userWritesFor } from '../core.ts';
import { openAtomicOutput } from './atomic-output.ts';
import { CliError } from './cli-database.ts';
import { readerClosedStdout } from './closed-pipe.ts';

export interface ExportOptions { format?: string; fields?: string; output?: string; connection?: string; limit?: string }

/**
 * `insole users export`: the export job's own writer (the same fields, escaping and NDJSON), straight
 * to a file or stdout, without gzip: with --output the file holds only the data; the count goes to
 * stderr so that stdout can be piped. Answers the count, or undefined when the reader of stdout
 * stopped before the end.
 */
export async function exportUsersToFile(connection: Connection, config: Config, options: ExportOptions): Promise<number | undefined> {
  const format = (options.format ?? 'json') as ExportFormat;
  if (format !== 'json' && format !== 'csv') throw new CliError(`--format must be json or csv, not "${options.format}"`);
  const fields = options.fields ? options.fields.split(',').map((name) => ({ name: name.trim() })).filter((field) => field.name) : defaultExportFields(format);
  if (fields.length > MAX_EXPORT_FIELDS) throw new CliError(`At most ${MAX_EXPORT_FIELDS} fields can be exported.`);
  const problems = exportFieldsProblems(fields, format);
  if (problems.length) throw new CliError(`--fields: ${problems.join('; ')}`);
  if (options.limit !== undefined && !/^[1-9]\d{0,9}$/.test(options.limit)) throw new CliError(`--limit must be a whole number above 0, not "${options.limit}"`);
  const { users } = userWritesFor(connection, config);
  // The file appears only once every user is in it (src/cli/atomic-output.ts): a failed export leaves none.
  const file = options.output
    ? await openAtomicOutput(options.output, { replace: false, existsMessage: `${options.output} exists: name a new file (an export never overwrites one).` })
    : undefined;
  const to = file?.to ?? process.stdout;
  const source = users.streamBatches({ connection: options.connection, limit: options.limit ? Number(options.limit) : undefined });
  const written = await writeExport(source, { format, fields }, { to }).catch(async (err: unknown) => {
    // Nothing more is written, not even the count.
    if (readerClosedStdout(err, to)) return undefined;
    await file?.discard();
    throw err;
  });
  if (written === undefined) return undefined;
  await file?.commit();
  console.error(`Exported ${written} user(s)${options.output ? ` to ${options.output}` : ''}.`);
  return written;
}

/**
 * `insole users import`: the import job's own importer on a local file (a JSON array in Auth0's
 * bulk-import format, or NDJSON as exports are). Each refused record is printed; the exit code is 1
 * when any was refused. No size limit here: the file is the operator's own.
 */
export async function importUsersFromFile(connection: Connection, config: Config, file: string | undefined, upsert: boolean): Promise<number> {
  if (!file) throw new CliError('Say which file: users import --file users.json [--upsert]');
  const text = await readFile(file, 'utf8').catch((err: NodeJS.ErrnoException) => { throw new CliError(`Cannot read ${file}: ${err.code ?? err.message}`); });
  let records: unknown[];
  try {
    records = parseUsersFile(text);
  } catch (err) {
    throw err instanceof AppError ? new CliError(`${file}: ${err.message}`) : err;
  }
  const { users } = userWritesFor(connection, config);
  // The operator, at the database: any record may give or take roles, as `users grant-admin` does.
  const summary = await importUsers(records, { upsert, roles: ALL_ROLE_RIGHTS }, importDepsFor(users, config.dashboard), {
    async onOutcome(index, outcome) {
      if (typeof outcome !== 'object') return;
      const who = outcome.user.email ?? outcome.user.user_id ?? 'no email';
      for (const error of outcome.errors) console.log(`record ${index} (${who}): ${error.code} ${error.message}${error.path ? ` [${error.path}]` : ''}`);
    },
  });
  console.log(`Imported ${file}: ${summary.inserted} inserted, ${summary.updated} updated, ${summary.failed} failed, of ${summary.total}.`);
  return summary.failed ? 1 : 0;
}
