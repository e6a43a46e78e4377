import { createRequire } from 'node:module';

/**
 * Records every Argon2 verification insole makes in this process, so a test can see *that* the
 * work was done (and against which hash) without measuring time.
 *
 * Import it before anything that imports src/: it wraps `verify` on the CommonJS exports of
 * @node-rs/argon2, and ES modules that import the package later bind to the wrapped function.
 * `node --test` runs each test file in its own process, so no other file is affected.
 */
const argon2 = createRequire(import.meta.url)('@node-rs/argon2') as { verify: (hash: string, password: string, ...rest: unknown[]) => Promise<boolean> };

export interface Argon2Verification { hash: string; result: boolean | 'error' }

export const argon2Verifications: Argon2Verification[] = [];

const realVerify = argon2.verify;
argon2.verify = async (hash, password, ...rest) => {
  const entry: Argon2Verification = { hash, result: 'error' };
  argon2Verifications.push(entry);
  entry.result = await realVerify(hash, password, ...rest);
  return entry.result;
};

/** The verifications made while `action` ran. */
export async function argon2VerificationsDuring(action: () => Promise<unknown>): Promise<Argon2Verification[]> {
  const start = argon2Verifications.length;
  await action();
  return argon2Verifications.slice(start);
}
