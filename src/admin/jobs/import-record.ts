import { z } from 'zod';
import { emailField, metadataField, profileNameFields } from '../http/user-schemas.ts';
import { passwordHashField, customPasswordHashField } from './imported-hash.ts';
import { isWellFormedJson } from '../../lib/well-formed-text.ts';

// Auth0: "the app_metadata object must not contain any of these properties" (bulk import schema).
const RESERVED_APP_METADATA = ['__tenant', '_id', 'blocked', 'clientID', 'created_at', 'email_verified', 'email', 'globalClientID',
  'global_client_id', 'identities', 'lastIP', 'lastLogin', 'metadata', 'multifactor_last_modified', 'multifactor', 'updated_at', 'user_id'];

const appMetadata = metadataField.superRefine((value, ctx) => {
  const reserved = RESERVED_APP_METADATA.filter((key) => Object.hasOwn(value, key));
  if (reserved.length) ctx.addIssue({ code: 'custom', message: `must not contain the reserved propert${reserved.length > 1 ? 'ies' : 'y'} ${reserved.join(', ')}` });
});

/**
 * What an export (insole's or Auth0's) carries but an import cannot set: insole fills these in
 * itself, so a record holding them is accepted and they are ignored (Auth0 would refuse it).
 */
const SET_BY_INSOLE = ['created_at', 'updated_at', 'last_login', 'last_ip', 'logins_count', 'identities', 'blocked_for'] as const;
const ignored = Object.fromEntries(SET_BY_INSOLE.map((key) => [key, z.unknown().optional()]));

/**
 * One user of Auth0's bulk-import file (https://auth0.com/docs/manage-users/user-migration/
 * bulk-user-import-database-schema-and-examples), as insole takes it into the database connection.
 * `user_id` may keep the `auth0|` of an export (Auth0 would make it `auth0|auth0|…`).
 */
export const importRecordSchema = z.object({
  email: emailField,
  email_verified: z.boolean().optional(),
  user_id: z.string().regex(/^(auth0\|)?[\w-]{1,100}$/, 'must be letters, digits, _ or - (up to 100), optionally after auth0|')
    .transform((id) => id.replace(/^auth0\|/, '')).optional(),
  ...profileNameFields,
  blocked: z.boolean().optional(),
  user_metadata: metadataField.optional(),
  app_metadata: appMetadata.optional(),
  password_hash: passwordHashField.optional(),
  custom_password_hash: customPasswordHashField.optional(),
  ...ignored,
}).strict().refine((user) => !(user.password_hash && user.custom_password_hash), {
  message: 'password_hash and custom_password_hash exclude each other', path: ['custom_password_hash'],
}).transform(({ custom_password_hash, password_hash, ...user }) => {
  for (const key of SET_BY_INSOLE) delete (user as Record<string, unknown>)[key];
  return { ...user, passwordHash: password_hash ?? custom_password_hash };
});

export type ImportRecord = z.infer<typeof importRecordSchema>;

export interface RecordProblem { code: string; message: string; path?: string }

/**
 * Every problem of a record, with Auth0's import error codes (bulk user imports, "retrieve failed
 * entries"). Messages never quote the value: a refused hash must not reappear in the job's errors.
 */
export function validateImportRecord(raw: unknown): { record: ImportRecord } | { problems: RecordProblem[] } {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    return { problems: [{ code: 'INVALID_TYPE', message: 'Expected type object' }] };
  }
  // As the API's JSON bodies: half a surrogate pair would be stored as U+FFFD, not as sent.
  if (!isWellFormedJson(raw)) return { problems: [{ code: 'INVALID_FORMAT', message: 'The record holds text that is not Unicode (a lone surrogate \\uD800–\\uDFFF).' }] };
  const result = importRecordSchema.safeParse(raw, { reportInput: true });
  if (result.success) return { record: result.data };
  return { problems: result.error.issues.flatMap(toProblems) };
}

function toProblems(issue: z.core.$ZodIssue): RecordProblem[] {
  const path = issue.path.join('.');
  if (issue.code === 'unrecognized_keys') {
    return issue.keys.map((key) => ({ code: 'OBJECT_ADDITIONAL_PROPERTIES', message: `Additional property ${key} is not allowed`, path: path ? `${path}.${key}` : key }));
  }
  return [{ code: problemCode(issue), message: issue.message, ...(path ? { path } : {}) }];
}

function problemCode(issue: z.core.$ZodIssue): string {
  const origin = (issue as { origin?: string }).origin;
  switch (issue.code) {
    case 'invalid_type': return issue.input === undefined ? 'OBJECT_REQUIRED' : 'INVALID_TYPE';
    case 'too_big': return origin === 'string' ? 'MAX_LENGTH' : origin === 'array' ? 'ARRAY_LENGTH_LONG' : 'MAXIMUM';
    case 'too_small': return origin === 'string' ? 'MIN_LENGTH' : origin === 'array' ? 'ARRAY_LENGTH_SHORT' : 'MINIMUM';
    case 'invalid_format': return (issue as { format?: string }).format === 'regex' ? 'PATTERN' : 'FORMAT';
    case 'invalid_value': return 'ENUM_MISMATCH';
    default: return 'NOT_PASSED';
  }
}
