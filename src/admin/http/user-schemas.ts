import { z } from 'zod';
import { assertSafeKeys, METADATA_MAX_CHARS } from '../metadata-merge.ts';
import { publicProfileSchema } from '../../users/profile.ts';
import { PASSWORD_CONNECTION } from '../../users/password-user.ts';

// As at sign-up: trimmed, lower-cased, ASCII addresses.
export const emailField = z.string().trim().toLowerCase().max(254).pipe(z.email()).meta({ format: 'email' });

// A look-up finds what is stored, and Google or Facebook vouch for addresses that check refuses
// (r&d@…, a punycode top-level domain): one "@" with text on both sides, as Auth0 looks them up.
export const lookupEmailField = z.string().trim().toLowerCase().max(254).regex(/^[^\s@]+@[^\s@]+$/, 'Invalid email address').meta({ format: 'email' });

// The keys are checked on the raw input: zod's record drops a "__proto__" key without a word, and
// the empty patch left would empty the whole object (metadata-merge.ts).
export const metadataField = z.preprocess((value, ctx) => {
  try {
    assertSafeKeys(value, 'metadata');
  } catch (err) {
    ctx.addIssue({ code: 'custom', message: (err as Error).message });
  }
  return value;
}, z.record(z.string(), z.unknown())).superRefine((value, ctx) => {
  // The body's own object; a PATCH's merge with the stored one is held to the cap too (metadataUpdate).
  if (JSON.stringify(value).length > METADATA_MAX_CHARS) ctx.addIssue({ code: 'custom', message: `must be at most ${METADATA_MAX_CHARS} characters of JSON` });
});

/** The editable name fields of a profile, as POST/PATCH /users and the users import accept them. */
export const profileNameFields = {
  name: z.string().min(1).max(300).optional(),
  nickname: z.string().min(1).max(300).optional(),
  given_name: z.string().min(1).max(150).optional(),
  family_name: z.string().min(1).max(150).optional(),
  // Pages show it as an image's source: a javascript: or data: URL has no place there.
  picture: z.url({ protocol: /^https?$/, error: 'must be an http or https URL' }).max(2000).optional().describe('An http or https URL.'),
};

export const userIdParams = z.object({ id: z.string().min(1).max(300) });

export const createUserBody = z.object({
  connection: z.string().min(1).max(200).describe(`Only ${PASSWORD_CONNECTION} can create users here.`),
  email: emailField,
  password: z.string().min(1).max(1024),
  user_id: z.string().regex(/^[\w-]{1,100}$/).optional().describe('Keep an id when migrating: the user becomes auth0|<user_id>.'),
  email_verified: z.boolean().optional(),
  verify_email: z.boolean().optional().describe('Send the verification mail (default: when email_verified is not true).'),
  blocked: z.boolean().optional(),
  ...profileNameFields,
  user_metadata: metadataField.optional(),
  app_metadata: metadataField.optional(),
}).strict();

export const patchUserBody = z.object({
  email: emailField.optional(),
  email_verified: z.boolean().optional(),
  verify_email: z.boolean().optional(),
  password: z.string().min(1).max(1024).optional(),
  blocked: z.boolean().optional(),
  ...profileNameFields,
  user_metadata: metadataField.optional().describe('Merged one level deep; a key set to null is deleted; {} removes all.'),
  app_metadata: metadataField.optional().describe('Merged like user_metadata.'),
  connection: z.literal(PASSWORD_CONNECTION).optional(),
  client_id: z.string().max(200).optional(),
}).strict().refine((body) => Object.keys(body).length > 0, 'Too few properties defined (0), minimum 1');

/** Profiles as sent: every field optional, because `fields` may leave any out. The OpenAPI document's `User`. */
export const userResponse = publicProfileSchema.partial().meta({
  id: 'User',
  description: 'An Auth0 user profile. Without `fields`, user_id, email_verified, identities, created_at, updated_at, logins_count, blocked_for, user_metadata and app_metadata are always present.',
  examples: [{
    user_id: 'auth0|65f1c0ffee0123456789abcd', email: 'runner@innovashoes.example', email_verified: true, name: 'Ada Runner', nickname: 'ada',
    identities: [{ provider: 'auth0', user_id: '65f1c0ffee0123456789abcd', connection: 'Username-Password-Authentication', isSocial: false }],
    created_at: '2024-03-13T09:30:00.000Z', updated_at: '2024-06-01T18:05:12.345Z', last_login: '2024-06-01T18:05:12.345Z', last_ip: '203.0.113.7',
    logins_count: 12, blocked_for: [], user_metadata: { shoe_size: 42 }, app_metadata: {},
  }],
});
export const PROFILE_FIELDS = Object.keys(publicProfileSchema.shape);
