import { z } from 'zod';

/**
 * Password hashes an import may carry: the ones insole's PasswordHasher verifies (bcrypt, Argon2)
 * and replaces with its own Argon2id at the user's next sign-in. Their cost is bounded: a hash is
 * verified at every sign-in attempt, so an imported hash with an absurd cost would let anyone
 * typing passwords for that account tie up CPU or memory.
 */
const BCRYPT = /^\$2[aby]\$(\d{2})\$[./A-Za-z0-9]{53}$/;
const BCRYPT_COST = { min: 4, max: 13 } as const;

// PHC string format (https://github.com/P-H-C/phc-string-format), as Argon2's reference encodes it.
const ARGON2 = /^\$argon2(id|i)\$v=(16|19)\$m=(\d{1,7}),t=(\d{1,3}),p=(\d{1,2})\$[A-Za-z0-9+/]{11,64}\$[A-Za-z0-9+/]{16,128}$/;
const ARGON2_LIMITS = { memoryKiB: 65_536, time: 16, parallelism: 8 } as const;

function bcryptProblem(value: string): string | undefined {
  const match = BCRYPT.exec(value);
  if (!match) return 'must be a bcrypt hash ($2a$, $2b$ or $2y$, cost, 53 characters of salt and hash)';
  const cost = Number(match[1]);
  if (cost < BCRYPT_COST.min || cost > BCRYPT_COST.max) return `bcrypt cost must be ${BCRYPT_COST.min}–${BCRYPT_COST.max}, not ${cost}`;
  return undefined;
}

function argon2Problem(value: string): string | undefined {
  const match = ARGON2.exec(value);
  if (!match) return 'must be an Argon2id or Argon2i hash in PHC string format ($argon2id$v=19$m=…,t=…,p=…$salt$hash)';
  const [m, t, p] = match.slice(3, 6).map(Number);
  if (m > ARGON2_LIMITS.memoryKiB || t > ARGON2_LIMITS.time || p > ARGON2_LIMITS.parallelism || m < 8 * p || t < 1 || p < 1) {
    return `Argon2 parameters out of range (m ≤ ${ARGON2_LIMITS.memoryKiB} KiB and ≥ 8·p, 1 ≤ t ≤ ${ARGON2_LIMITS.time}, 1 ≤ p ≤ ${ARGON2_LIMITS.parallelism})`;
  }
  return undefined;
}

const checked = (problem: (value: string) => string | undefined) => z.string().max(1024).superRefine((value, ctx) => {
  const message = problem(value);
  if (message) ctx.addIssue({ code: 'custom', message });
});

/** Auth0's `password_hash`: bcrypt only ("$2a$ or $2b$ … 10 saltRounds"). */
export const passwordHashField = checked(bcryptProblem);

const SUPPORTED = ['bcrypt', 'argon2'] as const;

/**
 * Auth0's `custom_password_hash` for the algorithms insole verifies. Auth0 also lists md4, md5,
 * sha1, sha256, sha512, hmac, pbkdf2, scrypt and ldap: a record with one of those is refused (its
 * user could not sign in), and the other records go on. As Auth0 requires for bcrypt and Argon2,
 * the hash is the whole encoded string in `hash.value`, utf8, without a separate salt.
 */
export const customPasswordHashField = z.object({
  algorithm: z.enum(SUPPORTED, { error: `unsupported algorithm: insole imports ${SUPPORTED.join(' and ')} hashes` }),
  hash: z.object({
    value: z.string().max(1024),
    encoding: z.literal('utf8').optional(),
  }).strict(),
}).strict().superRefine((custom, ctx) => {
  const problem = custom.algorithm === 'bcrypt' ? bcryptProblem(custom.hash.value) : custom.algorithm === 'argon2' ? argon2Problem(custom.hash.value) : undefined;
  if (problem) ctx.addIssue({ code: 'custom', message: problem, path: ['hash', 'value'] });
}).transform((custom) => custom.hash.value);
