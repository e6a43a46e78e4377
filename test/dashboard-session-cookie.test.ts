import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Request, Response } from 'express';
import type { Config } from '../src/config/schema.ts';
import { createSessionCookies, type DashboardSession } from '../src/dashboard/session/session-cookie.ts';

const OLD = 'an older cookie secret of at least thirty-two characters';
const NEW = 'the newer cookie secret, also thirty-two characters or more';
const cookiesWith = (keys: string[]) => createSessionCookies({ issuer: 'http://localhost:3000', secrets: { cookie_keys: keys } } as unknown as Config);

/** What the dashboard wrote into a response (Express's res.cookie), and a request carrying it back. */
function written(write: (res: Response) => void): Record<string, string> {
  const jar: Record<string, string> = {};
  write({ cookie: (name: string, value: string) => { jar[name] = value; } } as unknown as Response);
  return jar;
}
const requestWith = (cookies: Record<string, string>) => ({ cookies }) as unknown as Request;

const session: DashboardSession = { sid: 'sid-1', access_token: 'token', who: { sub: 'auth0|1', email: 'ada@innovashoes.example' }, expires_at: 2_000_000_000 };

describe('the dashboard session cookie across INSOLE_COOKIE_SECRETS rotation', () => {
  test('a cookie sealed under the previous secret opens once the new one leads; one sealed under an unknown secret, a flow cookie and a tampered one do not', () => {
    const before = cookiesWith([OLD]);
    const jar = written((res) => before.writeSession(res, session, 600));
    assert.deepEqual(cookiesWith([NEW, OLD]).readSession(requestWith(jar)), session, 'the previous secret still opens it');
    assert.equal(cookiesWith([NEW]).readSession(requestWith(jar)), undefined, 'a dropped secret opens nothing');

    const after = cookiesWith([NEW, OLD]);
    const renewed = written((res) => after.writeSession(res, session, 600));
    assert.equal(before.readSession(requestWith(renewed)), undefined, 'sealed with the first secret, the new one');

    const flows = written((res) => after.writeFlows(res, [{ state: 's', nonce: 'n', verifier: 'v', return_to: '/admin', started_at: Date.now() }]));
    const [flowName] = Object.keys(flows);
    assert.equal(after.readSession(requestWith({ [after.names.session]: flows[flowName!]! })), undefined, 'a flow cookie cannot pass for a session');

    const value = renewed[after.names.session]!;
    const tampered = value.slice(0, -2) + (value.endsWith('A') ? 'BB' : 'AA');
    assert.equal(after.readSession(requestWith({ [after.names.session]: tampered })), undefined, 'a changed byte fails the tag');
  });
});
