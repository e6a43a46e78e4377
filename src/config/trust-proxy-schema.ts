import { isIP } from 'node:net';
import { z } from 'zod';

// proxy-addr's names for address ranges, as Express's 'trust proxy' takes them.
const NAMED_RANGES = new Set(['loopback', 'linklocal', 'uniquelocal']);

/** An address, `address/prefix`, `IPv4/netmask` or a named range: what proxy-addr compiles. */
function isProxyEntry(entry: string): boolean {
  if (NAMED_RANGES.has(entry)) return true;
  const [address, range, ...rest] = entry.split('/');
  const family = isIP(address);
  if (!family || rest.length) return false;
  if (range === undefined) return true;
  // proxy-addr refuses /0 (every address): trusting all is `true`.
  if (/^\d{1,3}$/.test(range)) return Number(range) >= 1 && Number(range) <= (family === 4 ? 32 : 128);
  return family === 4 && isIP(range) === 4 && isContiguousNetmask(range);
}

/** 255.255.0.0, not 255.0.255.0 (the host bits all at the end), nor 0.0.0.0 (as /0). */
function isContiguousNetmask(mask: string): boolean {
  const hostBits = ~mask.split('.').reduce((bits, octet) => (bits << 8) | Number(octet), 0) >>> 0;
  return hostBits !== 0xffffffff && (hostBits & (hostBits + 1)) === 0;
}

/**
 * Express 'trust proxy': false, true, a number of hops, or comma-separated addresses and subnets.
 * Checked here because Express compiles it only when the app is built, after the database is up,
 * and a typo stopped the start there with proxy-addr's TypeError and its stack. 0 hops trusts no
 * proxy, which is what false says, so the production check for a TLS proxy sees it as unset.
 */
export const trustProxySchema = z.union([z.boolean(), z.number(), z.string()])
  .superRefine((value, ctx) => {
    const ok = typeof value === 'boolean'
      || (typeof value === 'number' ? Number.isInteger(value) && value >= 0 : value.split(',').every((entry) => isProxyEntry(entry.trim())));
    if (!ok) ctx.addIssue({ code: 'custom', message: 'must be true, false, a number of proxy hops, or comma-separated proxy addresses or subnets (e.g. 1, or 10.0.0.0/8, or loopback)' });
  })
  .transform((value) => (value === 0 ? false : value));
