import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { createRemoteJWKSet, decodeJwt, jwtVerify } from 'jose';
import { ROOT } from './cluster.ts';
import { failures, latencyLine, requestFigures, seconds, signInFigures, startedIn } from './figures.ts';
import { check, type Scenario } from './scenario.ts';
import { sleep, until } from './settle.ts';
import { STOREFRONT } from './storefront.ts';

const run = promisify(execFile);

/**
 * `insole keys rotate --activate-in N` in the middle of the load, from the CLI as an operator runs
 * it, with the instances' config and database. No token may fail verification at the storefront;
 * the new key must not sign before it is due; tokens signed by the old key still verify afterwards.
 */
export const keyRotation: Scenario = {
  name: 'key-rotation',
  title: 'signing key rotation under load',
  async run({ suite, history, durations, stopLoad }) {
    const start = Date.now();
    await sleep(durations.baseMs);
    const before = history.attempts.filter((a) => a.ok && a.idToken);
    const oldKid = before.at(-1)?.kid;
    const rotatedAt = Date.now();
    const env = {
      PATH: process.env.PATH, NODE_ENV: 'test', MONGODB_URI: suite.db.uri, INSOLE_CONFIG: `${suite.dir}/insole.json`,
      INSOLE_KEY_ENCRYPTION_KEY: suite.keyEncryptionKey, INSOLE_COOKIE_SECRETS: suite.cookieSecret, ISSUER: suite.balancer.url,
    };
    const { stdout } = await run(process.execPath, ['src/cli/insole.ts', 'keys', 'rotate', '--activate-in', String(suite.settings.keyActivateSeconds)], { cwd: ROOT, env });
    const cliDone = Date.now();
    const activates = Date.parse(/signs from (\S+?)\.?$/m.exec(stdout)?.[1] ?? '');
    const firstNew = await until('a token signed by the new key', () => history.attempts.find((a) => a.ok && a.start > rotatedAt && a.kid !== oldKid), 120_000, 50);
    const newKid = firstNew.kid;
    await sleep(durations.tailMs);
    const end = Date.now();
    await stopLoad();

    const fresh = createRemoteJWKSet(new URL(`${suite.balancer.url}/.well-known/jwks.json`));
    const stale: string[] = [];
    for (const attempt of before.slice(-50)) {
      await jwtVerify(attempt.idToken!, fresh, { issuer: suite.balancer.url, audience: STOREFRONT.client_id }).catch((err: Error) => stale.push(`${attempt.kid}: ${err.message}`));
    }
    const window = startedIn(history.attempts, start, end);
    const verification = window.filter((a) => a.reason?.startsWith('token verification'));
    const signedEarly = window.filter((a) => a.ok && a.kid === newKid && decodeJwt(a.idToken!).iat! * 1000 < Math.floor(activates / 1000) * 1000);
    const perKid = new Map<string, number>();
    for (const a of window.filter((x) => x.ok)) perKid.set(a.kid!, (perKid.get(a.kid!) ?? 0) + 1);
    return {
      windows: [{ label: 'before', from: start, to: rotatedAt }, { label: 'after', from: rotatedAt, to: end }],
      figures: {
        ...requestFigures(suite.balancer.log, start, end),
        ...signInFigures(history.attempts, start, end),
        'tokens per signing key': [...perKid].map(([kid, n]) => `${kid.slice(0, 10)}… ×${n}`).join(', '),
        'CLI run (rotate command)': seconds(cliDone - rotatedAt),
        'key due → first token with it': seconds(firstNew.end! - activates),
        latency: latencyLine(history.attempts, [{ label: 'before', from: start, to: rotatedAt }, { label: 'after', from: rotatedAt, to: end }]),
      },
      checks: [
        check('no token failed verification at the storefront', verification.length === 0 && failures(window).length === 0, `${window.filter((a) => a.ok).length} sign-ins verified`),
        check('the new key signs, and not before it is due', Boolean(newKid && newKid !== oldKid) && signedEarly.length === 0, `due ${new Date(activates).toISOString()}`),
        check('tokens signed by the old key still verify after the rotation', stale.length === 0, stale.slice(0, 2).join('; ') || `${Math.min(before.length, 50)} re-verified`),
      ],
    };
  },
};
