import { dictionary } from '@zxcvbn-ts/language-common';
import { BadRequestError } from '../errors/app-error.ts';

// ~49k most common passwords from breach corpora (zxcvbn-ts), compared case-insensitively.
const COMMON_PASSWORDS = new Set(dictionary['passwords-common'].map((p) => p.toLowerCase()));

export interface PasswordPolicy { min_length: number; max_length: number }

/** NIST SP 800-63B: Unicode NFKC before anything else, so look-alike forms hash the same. */
export function normalizePassword(password: string): string {
  return password.normalize('NFKC');
}

/**
 * NIST SP 800-63B-4 §3.1.1.2: length bounds only, no composition rules, a blocklist of common
 * passwords, never truncate. Length counts code points, not UTF-16 units.
 */
export function checkPasswordPolicy(password: string, policy: PasswordPolicy): void {
  const length = [...normalizePassword(password)].length;
  if (length < policy.min_length) {
    throw new BadRequestError(`Use at least ${policy.min_length} characters for your password.`, 'password_too_short');
  }
  if (length > policy.max_length) {
    throw new BadRequestError(`Use at most ${policy.max_length} characters for your password.`, 'password_too_long');
  }
  if (COMMON_PASSWORDS.has(normalizePassword(password).toLowerCase())) {
    throw new BadRequestError('That password is too common and easy to guess. Please choose another.', 'password_too_common');
  }
}
