// Auth0's tickets (POST /api/v2/tickets/password-change and /email-verification) against a real
// insole, each URL then followed as a shopper's browser would.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { OpenApiDocument } from '../src/admin/http/openapi-document.ts';
import { linkDigest } from '../src/users/email-tickets.ts';
import { STOREFRONT, startTestInsole, type TestInsole } from './support/insole.ts';
import { api, m2mClientConfig, managementToken } from './support/management.ts';
import { assertMatchesOpenApi } from './support/openapi-check.ts';
import { attempt } from './support/sign-in-attempt.ts';
import { startInbox, type Inbox } from './support/smtp.ts';
import { useTicketLink } from './support/ticket-link.ts';

const STORE = { client_id: 'store-mailer', client_secret: 'store-mailer-secret-0123456789abcdef', scopes: ['create:user_tickets', 'create:users'] };
const NO_TICKETS = { client_id: 'store-other', client_secret: 'store-other-secret-0123456789abcdef', scopes: ['create:users', 'update:users', 'read:users'] };
const SHOP = 'https://shop.innovashoes.example';
const OLD_PASSWORD = 'the imported password';
const NEW_PASSWORD = 'a brand new long password';

describe('Management API: tickets', () => {
  let insole: TestInsole;
  let inbox: Inbox;
  let token: string;
  let doc: OpenApiDocument;
  let serial = 0;

  before(async () => {
    inbox = await startInbox();
    insole = await startTestInsole({
      mail: { smtp_url: inbox.url },
      clients: [m2mClientConfig(STORE), m2mClientConfig(NO_TICKETS), {
        client_id: STOREFRONT.client_id, client_secret: STOREFRONT.client_secret, client_name: 'Test Storefront',
        redirect_uris: [STOREFRONT.redirect_uri, `${SHOP}/callback`], post_logout_redirect_uris: [STOREFRONT.post_logout_redirect_uri],
      }],
      // Every test makes several calls; the default 50 a second could answer 429 on a fast run.
      admin_api: { rate_limit: { requests: 10_000 } },
    });
    token = (await managementToken(insole, STORE)).access_token;
    doc = await (await fetch(`${insole.issuer}/api/v2/openapi.json`)).json() as OpenApiDocument;
  });
  after(async () => { await insole?.stop(); await inbox.close(); });

  /** A password user as an import makes it: email not verified, no mail sent. */
  async function newPasswordUser(): Promise<{ user_id: string; email: string }> {
    const email = `ticket${++serial}@innovashoes.example`;
    const res = await api(insole, token, 'POST', '/users', { connection: 'Username-Password-Authentication', email, password: OLD_PASSWORD, email_verified: false, verify_email: false });
    assert.equal(res.status, 201, JSON.stringify(res.body));
    return { user_id: res.body.user_id, email };
  }
  const stored = (userId: string) => insole.db.collection('users').findOne({ user_id: userId });
  const ticketsOf = (userId: string) => insole.db.collection('email_tickets').find({ user_id: userId }).toArray();
  /** A call whose answer must be one the OpenAPI document describes. */
  async function create(kind: 'password-change' | 'email-verification', body: unknown, bearer = token) {
    const res = await api(insole, bearer, 'POST', `/tickets/${kind}`, body);
    assertMatchesOpenApi(doc, 'POST', `/tickets/${kind}`, res.status, res.body);
    return res;
  }

  const useTicket = (url: string, fields: Record<string, string> = {}) => useTicketLink(insole.issuer, url, fields);
  const signsIn = async (email: string, password: string) => Boolean((await attempt(insole, email, password, '198.51.100.9')).left);

  test('a password-change ticket opens the reset page: the new password works, the old fails, the address stays unverified, and no mail goes', async () => {
    const user = await newPasswordUser();
    const res = await create('password-change', { user_id: user.user_id });
    assert.equal(res.status, 201, JSON.stringify(res.body));
    assert.deepEqual(Object.keys(res.body), ['ticket']);
    assert.ok(res.body.ticket.startsWith(`${insole.issuer}/password/reset/new?ticket=`), res.body.ticket);
    const [record] = await ticketsOf(user.user_id);
    assert.equal(record.expiresAt.getTime() - record.created_at.getTime(), 432_000_000, 'Auth0\'s default: 5 days');

    const used = await useTicket(res.body.ticket, { password: NEW_PASSWORD });
    assert.equal(used.status, 200);
    assert.match(used.text, /Password changed/);
    assert.equal(await signsIn(user.email, NEW_PASSWORD), true);
    assert.equal(await signsIn(user.email, OLD_PASSWORD), false);
    assert.equal((await stored(user.user_id))!.email_verified, false, 'not asked to verify');

    const again = await useTicket(res.body.ticket, { password: 'yet another long password' });
    assert.equal(again.status, 400, 'single use');
    assert.match(again.text, /expired or was already used/);
    // Any mail for this user would have gone before this one, sent later: none did.
    await api(insole, token, 'POST', '/users', { connection: 'Username-Password-Authentication', email: 'sentinel@innovashoes.example', password: OLD_PASSWORD });
    await inbox.waitFor('sentinel@innovashoes.example', /Confirm your email/);
    assert.deepEqual(inbox.mails.filter((m) => JSON.stringify(m.to).includes(user.email)), []);
    const audit = await insole.db.collection('logs').findOne({ type: 'sapi', user_id: user.user_id, description: 'Create a password change ticket' });
    assert.equal(audit?.client_id, STORE.client_id);
    assert.doesNotMatch(JSON.stringify(audit), /ticket=/, 'the audit event never holds the link');
  });

  test('mark_email_as_verified, by email and connection_id, verifies the address with the new password; result_url gets success, message and email', async () => {
    const user = await newPasswordUser();
    const res = await create('password-change', {
      email: user.email.toUpperCase(), connection_id: 'Username-Password-Authentication', mark_email_as_verified: true, includeEmailInRedirect: true,
      result_url: `${SHOP}/account/welcome?from=mail`, client_id: STOREFRONT.client_id, ttl_sec: 3600,
    });
    assert.equal(res.status, 201, JSON.stringify(res.body));
    const [record] = await ticketsOf(user.user_id);
    assert.equal(record.expiresAt.getTime() - record.created_at.getTime(), 3_600_000);
    const page = await useTicket(res.body.ticket, { password: 'password123' });
    assert.equal(page.status, 400, 'the password policy is checked first');
    assert.equal((await stored(user.user_id))!.email_verified, false, 'a refused password verifies nothing');

    const used = await useTicket(res.body.ticket, { password: NEW_PASSWORD });
    const left = new URL(used.left!);
    assert.equal(`${left.origin}${left.pathname}`, `${SHOP}/account/welcome`);
    assert.deepEqual(Object.fromEntries(left.searchParams), {
      from: 'mail', email: user.email, success: 'true', message: 'You can now login to the application with the new password.',
    });
    assert.equal((await stored(user.user_id))!.email_verified, true);
    assert.equal(await signsIn(user.email, NEW_PASSWORD), true);
  });

  test('a ticket past its ttl opens the dead-link page and changes nothing', async () => {
    const user = await newPasswordUser();
    const res = await create('password-change', { user_id: user.user_id, ttl_sec: 60 });
    const token = new URL(res.body.ticket).searchParams.get('ticket')!;
    // Its minute has passed (the TTL index only cleans up: every read checks expiresAt).
    await insole.db.collection('email_tickets').updateOne({ _id: linkDigest(token) as never }, { $set: { expiresAt: new Date(Date.now() - 1000) } });
    const used = await useTicket(res.body.ticket);
    assert.equal(used.status, 400);
    assert.match(used.text, /expired or was already used/);
    assert.equal(await signsIn(user.email, OLD_PASSWORD), true);
  });

  test('an email-verification ticket verifies the address once, then goes to result_url; without one it shows the page the sign-up mail does', async () => {
    const user = await newPasswordUser();
    const res = await create('email-verification', { user_id: user.user_id, identity: { provider: 'auth0', user_id: user.user_id.slice(6) }, result_url: `${STOREFRONT.post_logout_redirect_uri}verified`, includeEmailInRedirect: false });
    assert.equal(res.status, 201, JSON.stringify(res.body));
    assert.ok(res.body.ticket.startsWith(`${insole.issuer}/email/verify?ticket=`), res.body.ticket);
    assert.equal((await stored(user.user_id))!.email_verified, false, 'the ticket alone verifies nothing');
    const used = await useTicket(res.body.ticket);
    const left = new URL(used.left!);
    assert.equal(`${left.origin}${left.pathname}`, `${STOREFRONT.post_logout_redirect_uri}verified`);
    assert.equal(left.searchParams.get('success'), 'true');
    assert.equal(left.searchParams.get('email'), null, 'includeEmailInRedirect: false');
    assert.equal((await stored(user.user_id))!.email_verified, true);
    const again = await useTicket(res.body.ticket);
    assert.equal(again.status, 400, 'single use');

    const other = await newPasswordUser();
    const plain = await create('email-verification', { user_id: other.user_id });
    const shown = await useTicket(plain.body.ticket);
    assert.equal(shown.status, 200);
    assert.match(shown.text, /Email confirmed/);
    assert.equal((await stored(other.user_id))!.email_verified, true);
  });

  test('bad input is a 400 naming the problem, an unknown user a 404, and no ticket is made', async () => {
    const user = await newPasswordUser();
    const google = 'google-oauth2|1093';
    const now = new Date();
    await insole.db.collection('users').insertOne({
      user_id: google, email: 'social.only@gmail.example', email_verified: true, identities: [{ provider: 'google-oauth2', user_id: '1093', connection: 'google-oauth2', isSocial: true }],
      created_at: now, updated_at: now, logins_count: 1, blocked: false, blocked_for: [], user_metadata: {}, app_metadata: {},
    });
    const refused: [string, unknown, number, RegExp][] = [
      ['password-change', {}, 400, /user_id, or with email and connection_id/],
      ['password-change', { user_id: user.user_id, email: user.email, connection_id: 'Username-Password-Authentication' }, 400, /not both/],
      ['password-change', { email: user.email }, 400, /email and connection_id/],
      ['password-change', { email: user.email, connection_id: 'google-oauth2' }, 400, /connection_id must be Username-Password-Authentication/],
      ['password-change', { user_id: google }, 400, /no password to change/],
      ['password-change', { user_id: user.user_id, new_password: 'x'.repeat(20) }, 400, /new_password/],
      ['password-change', { user_id: user.user_id, ttl_sec: 2_592_001 }, 400, /ttl_sec/],
      ['password-change', { user_id: user.user_id, ttl_sec: -1 }, 400, /ttl_sec/],
      ['password-change', { user_id: user.user_id, ttl_sec: '60' }, 400, /ttl_sec/],
      ['password-change', { user_id: { $gt: '' } }, 400, /user_id/],
      ['password-change', { user_id: user.user_id, result_url: 'https://evil.example/phish' }, 400, /result_url must be on the site of a registered application/],
      ['password-change', { user_id: user.user_id, result_url: `${SHOP}/x`, client_id: 'store-other' }, 400, /the client store-other/],
      ['password-change', { user_id: user.user_id, result_url: 'javascript:alert(1)' }, 400, /http or https URL/],
      ['password-change', { user_id: user.user_id, result_url: `https://user:pw@${new URL(SHOP).host}/x` }, 400, /without credentials/],
      ['password-change', { user_id: user.user_id, client_id: 'nobody' }, 400, /no client nobody/],
      ['password-change', { user_id: user.user_id, identity: { provider: 'auth0', user_id: 'someone-else' } }, 400, /no auth0 identity someone-else/],
      ['password-change', { user_id: 'auth0|nobody' }, 404, /The user does not exist/],
      ['email-verification', { user_id: user.user_id, identity: { provider: 'google-oauth2', user_id: '1093' } }, 400, /no google-oauth2 identity/],
      ['email-verification', { user_id: user.user_id, mark_email_as_verified: true }, 400, /mark_email_as_verified/],
      ['email-verification', { result_url: `${SHOP}/x` }, 400, /user_id/],
      ['email-verification', { user_id: 'auth0|nobody' }, 404, /The user does not exist/],
    ];
    for (const [kind, body, status, message] of refused) {
      const res = await create(kind as 'password-change', body);
      assert.equal(res.status, status, `${kind} ${JSON.stringify(body)}: ${JSON.stringify(res.body)}`);
      assert.match(res.body.message, message, JSON.stringify(body));
    }
    assert.equal(await insole.db.collection('email_tickets').countDocuments({ user_id: { $in: [user.user_id, google] } }), 0);
    const failed = await insole.db.collection('logs').countDocuments({ type: 'fapi', user_id: user.user_id, description: /ticket/ });
    assert.ok(failed >= 10, `refusals are fapi events (${failed})`);
  });

  test('a token without create:user_tickets gets a 403 and no ticket', async () => {
    const user = await newPasswordUser();
    const other = (await managementToken(insole, NO_TICKETS)).access_token;
    for (const kind of ['password-change', 'email-verification'] as const) {
      const res = await create(kind, { user_id: user.user_id }, other);
      assert.equal(res.status, 403);
      assert.equal(res.body.message, 'Insufficient scope, expected any of: create:user_tickets');
    }
    assert.deepEqual(await ticketsOf(user.user_id), []);
  });
});
