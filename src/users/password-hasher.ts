import { hash, verify } from '@node-rs/argon2';
import bcrypt from 'bcryptjs';
import { normalizePassword } from './password-policy.ts';

export interface Argon2Settings { memory_cost_kib: number; time_cost: number; parallelism: number }

export interface PasswordHasher {
  hash(password: string): Promise<string>;
  /** Always does the work of a real verification, so unknown users cost the same time (no enumeration). */
  verify(storedHash: string | undefined, password: string): Promise<boolean>;
  /** True when the stored hash is weaker than the current settings and should be replaced. */
  needsRehash(storedHash: string): boolean;
}

const BCRYPT = /^\$2[aby]\$\d{2}\$/;

export function createPasswordHasher(settings: Argon2Settings): PasswordHasher {
  const options = {
    // Algorithm.Argon2id: a const enum in the typings, which Node's type stripping cannot inline.
    algorithm: 2 as const,
    memoryCost: settings.memory_cost_kib,
    timeCost: settings.time_cost,
    parallelism: settings.parallelism,
  };
  // Verified against when the user does not exist, so both paths hash once with the same parameters.
  const dummyHash = hash('insole-dummy-password-for-timing', options);

  return {
    hash: (password) => hash(normalizePassword(password), options),
    async verify(storedHash, password) {
      // Auth0 exports carry bcrypt hashes: accepted, and replaced by Argon2id at that sign-in.
      // Compared as typed: Auth0 hashed the raw password, without our NFKC step.
      if (storedHash && BCRYPT.test(storedHash)) return bcrypt.compare(password, storedHash);
      const target = storedHash ?? (await dummyHash);
      const ok = await verify(target, normalizePassword(password)).catch(() => false);
      return ok && storedHash !== undefined;
    },
    needsRehash(storedHash) {
      if (BCRYPT.test(storedHash)) return true;
      const params = /^\$argon2id\$v=\d+\$m=(\d+),t=(\d+),p=(\d+)\$/.exec(storedHash);
      if (!params) return true;
      const [m, t, p] = params.slice(1).map(Number);
      return m < settings.memory_cost_kib || t < settings.time_cost || p < settings.parallelism;
    },
  };
}
