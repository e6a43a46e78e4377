import { randomBytes } from 'node:crypto';

const hex = (n: number, digits: number) => n.toString(16).padStart(digits, '0');

/**
 * Log ids as Auth0's are: sortable, so they serve as checkpoints (`from`) and break ties between logs
 * of one millisecond. The time in ms, then a sequence within that millisecond, then randomness. The
 * sequence keeps one instance's ids in the order it made them (a `link` and the `s` right after it
 * often share a millisecond: random tie-breaks put them either way); the randomness keeps instances
 * apart. A clock stepped back keeps the last millisecond, so an instance's ids never go back.
 */
export function createLogIds(now: () => number = Date.now): () => string {
  let lastMs = 0;
  let sequence = 0;
  return () => {
    const ms = Math.max(now(), lastMs);
    sequence = ms === lastMs ? sequence + 1 : 0;
    lastMs = ms;
    return `${hex(ms, 12)}${hex(sequence, 6)}${randomBytes(7).toString('hex')}`;
  };
}
