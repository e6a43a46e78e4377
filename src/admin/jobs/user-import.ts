import { BadRequestError } from '../../errors/app-error.ts';
import { newPasswordUser, PASSWORD_CONNECTION } from '../../users/password-user.ts';
import type { UserDoc } from '../../users/user.model.ts';
import type { UserRepository } from '../../users/user.repository.ts';
import { isDuplicateKeyError } from '../../db/duplicate-keys.ts';
import { validateImportRecord, type ImportRecord, type RecordProblem } from './import-record.ts';
import type { ImportSummary, RecordError } from './user-job.model.ts';
import type { Config } from '../../config/schema.ts';
import { roleChangeProblem, type RoleRights } from '../role-members.ts';
import type { RoleHolder } from '../../users/roles.ts';

export type ImportOutcome = 'inserted' | 'updated' | RecordError;

export interface ImportDeps {
  users: UserRepository;
  /** Which roles a profile gives: a record that changes them needs the job's `roles` rights. */
  dashboard: Config['dashboard'];
}

export interface ImportOptions {
  upsert: boolean;
  /** What the job's creator may do to dashboard roles (role-members.ts). */
  roles: RoleRights;
}

/** A line of an NDJSON file that is not JSON: that record fails, the others go on. */
class UnreadableLine {
  readonly reason: string;
  constructor(reason: string) { this.reason = reason; }
}

/**
 * Auth0's import file is a JSON array of users. insole also takes NDJSON (one user per line), the
 * format exports come in, so an export imports as it is. Throws a 400 for a file that is neither.
 */
export function parseUsersFile(text: string): unknown[] {
  const body = text.replace(/^\uFEFF/, '').trim();
  if (!body) throw new BadRequestError('Users file must not be empty.', 'invalid_body');
  if (body.startsWith('[')) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(body);
    } catch (err) {
      throw new BadRequestError(`The users file is not valid JSON: ${(err as Error).message.slice(0, 200)}.`, 'invalid_body');
    }
    if (!Array.isArray(parsed) || parsed.length === 0) throw new BadRequestError('Users file must not be empty.', 'invalid_body');
    return parsed;
  }
  if (!body.startsWith('{')) throw new BadRequestError('The users file must be a JSON array of users, or NDJSON (one user per line).', 'invalid_body');
  return body.split(/\r?\n/).filter((line) => line.trim()).map((line, i) => {
    try {
      return JSON.parse(line) as unknown;
    } catch {
      return new UnreadableLine(`line ${i + 1} is not JSON`);
    }
  });
}

/** Emails and user_ids of the valid records seen so far: Auth0 refuses a user "already provided". */
interface Seen { emails: Set<string>; ids: Set<string> }

/** Which user a refused record meant, without anything else from it (it may hold a hash). */
function identify(raw: unknown): RecordError['user'] {
  const record = (raw && typeof raw === 'object' ? raw : {}) as Record<string, unknown>;
  return {
    ...(typeof record.email === 'string' ? { email: record.email.slice(0, 254) } : {}),
    ...(typeof record.user_id === 'string' ? { user_id: record.user_id.slice(0, 110) } : {}),
  };
}

const refused = (index: number, raw: unknown, errors: RecordProblem[]): RecordError => ({ index, user: identify(raw), errors });

/**
 * Applies the records of an import file, one atomic write each, and reports every record's outcome
 * through `onOutcome` as it happens (the job saves it, the CLI prints it). `startAt` resumes a job
 * another worker began. The export job's twin: the API and `insole users import` both run this.
 */
export async function importUsers(
  records: unknown[], options: ImportOptions, deps: ImportDeps,
  run: { startAt?: number; signal?: AbortSignal; onOutcome(index: number, outcome: ImportOutcome): Promise<void> },
): Promise<ImportSummary> {
  const seen: Seen = { emails: new Set(), ids: new Set() };
  const summary: ImportSummary = { failed: 0, updated: 0, inserted: 0, total: records.length };
  const startAt = run.startAt ?? 0;
  for (let index = 0; index < records.length; index++) {
    const raw = records[index];
    const checked = raw instanceof UnreadableLine ? undefined : validateImportRecord(raw);
    if (index < startAt) {
      if (checked && 'record' in checked) remember(seen, checked.record);
      continue;
    }
    run.signal?.throwIfAborted();
    const outcome = raw instanceof UnreadableLine
      ? refused(index, undefined, [{ code: 'INVALID_FORMAT', message: raw.reason }])
      : 'problems' in checked! ? refused(index, raw, checked.problems) : await applyRecord(checked!.record, index, raw, seen, options, deps);
    if (typeof outcome === 'object') summary.failed++;
    else summary[outcome]++;
    await run.onOutcome(index, outcome);
  }
  return summary;
}

function remember(seen: Seen, record: ImportRecord): void {
  seen.emails.add(record.email);
  if (record.user_id) seen.ids.add(record.user_id);
}

async function applyRecord(record: ImportRecord, index: number, raw: unknown, seen: Seen, options: ImportOptions, deps: ImportDeps): Promise<ImportOutcome> {
  if (seen.emails.has(record.email) || (record.user_id && seen.ids.has(record.user_id))) {
    return refused(index, raw, [{ code: 'DUPLICATED_USER', message: `A user with this ${seen.emails.has(record.email) ? 'email' : 'user_id'} was already provided.` }]);
  }
  remember(seen, record);
  const existing = await deps.users.findByEmail(record.email);
  if (!existing) {
    const problem = roleChangeProblem(undefined, { email: record.email, email_verified: record.email_verified ?? false, app_metadata: record.app_metadata ?? {} }, options.roles, deps.dashboard);
    return problem ? refused(index, raw, [{ code: 'INSUFFICIENT_SCOPE', message: problem, path: 'app_metadata.roles' }]) : insertRecord(record, index, raw, deps);
  }
  if (!options.upsert) return refused(index, raw, [{ code: 'DUPLICATED_USER', message: 'The user already exists.' }]);
  const connection = existing.identities[0]?.connection;
  if (connection !== PASSWORD_CONNECTION) {
    return refused(index, raw, [{ code: 'CONFLICT_EMAIL', message: `The email belongs to a ${connection} user: an import updates ${PASSWORD_CONNECTION} users only.`, path: 'email' }]);
  }
  // Auth0: a hash "can only be provided when the user is first imported and cannot be updated later".
  // Importing needs only create:users; replacing the hash of an existing account would be taking it over.
  if (record.passwordHash) {
    const field = raw && typeof raw === 'object' && 'custom_password_hash' in raw ? 'custom_password_hash' : 'password_hash';
    return refused(index, raw, [{ code: 'CONFLICT', message: `A ${field} was provided, but the user already exists: an import sets a password hash for a new user only (a password is changed with PATCH /users/{id}).`, path: field }]);
  }
  const set = upsertSet(record);
  const after: RoleHolder = { email: existing.email, email_verified: set.email_verified, app_metadata: set.app_metadata ?? existing.app_metadata };
  const problem = roleChangeProblem(existing, after, options.roles, deps.dashboard);
  if (problem) return refused(index, raw, [{ code: 'INSUFFICIENT_SCOPE', message: problem, path: 'app_metadata.roles' }]);
  await deps.users.update(existing.user_id, set, {});
  return 'updated';
}

async function insertRecord(record: ImportRecord, index: number, raw: unknown, deps: ImportDeps): Promise<ImportOutcome> {
  const user = newPasswordUser({
    email: record.email, password_hash: record.passwordHash, now: new Date(), id: record.user_id, email_verified: record.email_verified ?? false,
    names: record, metadata: { user_metadata: record.user_metadata ?? {}, app_metadata: record.app_metadata ?? {} },
  });
  try {
    await deps.users.insert({ ...user, blocked: record.blocked ?? false }, { quiet: true }); // a migration: no insight events
    return 'inserted';
  } catch (err) {
    if (!isDuplicateKeyError(err)) throw err;
    // The email was free a moment ago: the user_id is taken (or the same email arrived meanwhile).
    return refused(index, raw, [{ code: 'CONFLICT', message: 'A user with this user_id or email already exists.', path: 'user_id' }]);
  }
}

/**
 * Auth0's upsert: the user is found by email; the upsertable attributes present in the record
 * replace the stored ones (metadata objects in full, not merged); email and user_id stay; and
 * email_verified becomes false unless the record says otherwise. Auth0's schema marks `blocked` and
 * the password hash as not upserted (https://auth0.com/docs/manage-users/user-migration/
 * bulk-user-import-database-schema-and-examples): blocking is update:users' business, and an export
 * re-imported carries every user's `blocked`, which is left as it is. What is written, and so
 * what the role check reads.
 */
function upsertSet(record: ImportRecord): UpsertSet {
  const set: UpsertSet = { updated_at: new Date(), email_verified: record.email_verified ?? false };
  for (const field of ['name', 'nickname', 'given_name', 'family_name', 'picture', 'user_metadata', 'app_metadata'] as const) {
    if (record[field] !== undefined) (set as Record<string, unknown>)[field] = record[field];
  }
  return set;
}

interface UpsertSet { updated_at: Date; email_verified: boolean; app_metadata?: UserDoc['app_metadata']; [field: string]: unknown }
