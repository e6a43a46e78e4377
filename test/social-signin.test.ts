import assert from 'node:assert/strict';
import { after, afterEach, before, beforeEach, describe, test } from 'node:test';
import { answerConsent } from './fakes/drive.ts';
import type { FakeProvider } from './fakes/fake-common.ts';
import { captureLogs } from './support/log-capture.ts';
import { startInbox, type Inbox } from './support/smtp.ts';
import { parseSetCookie } from './support/web-checks.ts';
import { STOREFRONT } from './support/insole.ts';
import { buildAuthorization, discoverStorefront, exchangeCode } from './support/relying-party.ts';
import { oidc, startSocialWorld, type SocialWorld } from './support/social.ts';
import {
  follow, freshFacebook, freshGoogle, freshTwitter, healAll, logsOf, logsSince, openSealedTokens, openSignIn, read, ShopperAgent,
  socialTrip, storefrontTokens, submit, usersOf, type Connection, type Page, type Trip,
} from './support/social-steps.ts';

// The provider budget (connections.timeout_ms) of the world where providers fail: short, so a slow
// provider's tests are quick. Elsewhere the worlds keep the default (support/social.ts says why).
const TIMEOUT_MS = 1_500;
// A slow provider answers LATE_MS after insole's timeout: long after the shopper has the sign-in page
// again. The shopper's wait is bounded by timeout_ms plus SLACK_MS (redirects and a page on a busy
// machine), less than LATE_MS, so a sign-in that waited for the provider fails the bound.
const LATE_MS = 4_000;
const SLACK_MS = 2_500;
/** Until just after the late answer has arrived (and been ignored). */
const untilLateAnswer = (at: number) => new Promise((resolve) => setTimeout(resolve, Math.max(0, at + 300 - Date.now())));

/**
 * Social sign-in over HTTP, as a shopper's browser does it: storefront → insole's sign-in page →
 * "Continue with …" → the (fake) provider's consent page → back through insole to the storefront.
 */

interface ProviderCase {
  connection: Connection;
  label: string;
  fake: (world: SocialWorld) => FakeProvider<{ name: string }>;
  /** A new person at the provider; returns their provider id and the root fields insole must store. */
  fresh: (world: SocialWorld) => { id: string; root: Record<string, unknown>; absent: string[] };
  /** Checks on identities[0].profileData, the provider's profile as it sent it. */
  profileData: (world: SocialWorld, data: Record<string, unknown>) => void;
  /** What the sealed tokens look like (so we know we opened the real ones). */
  tokenShape: (world: SocialWorld) => Record<string, RegExp>;
  /** The reason in the f log when the shopper clicks "Deny". */
  deniedReason: string;
}

const PROVIDERS: ProviderCase[] = [
  {
    connection: 'google-oauth2', label: 'Google', deniedReason: 'denied by the user',
    fake: (w) => w.google,
    fresh: (w) => {
      const a = freshGoogle(w, { email_verified: true });
      return {
        id: a.sub,
        root: { email: a.email, email_verified: true, name: a.name, given_name: a.given_name, family_name: a.family_name, nickname: a.email.split('@')[0], picture: a.picture, locale: 'en' },
        absent: ['screen_name', 'gender', 'birthday', 'location', 'likes'],
      };
    },
    profileData: (w, data) => {
      const a = w.google.account;
      assert.deepEqual(data, { sub: a.sub, name: a.name, given_name: a.given_name, family_name: a.family_name, picture: a.picture, locale: a.locale, email: a.email, email_verified: a.email_verified });
    },
    tokenShape: () => ({ access_token: /^ya29\.a0/ }),
  },
  {
    connection: 'facebook', label: 'Facebook', deniedReason: 'Permissions error',
    fake: (w) => w.facebook,
    fresh: (w) => {
      const a = freshFacebook(w);
      return {
        id: a.id,
        root: {
          // Graph only returns an email the person confirmed with Facebook.
          email: a.email, email_verified: true, name: a.name, given_name: a.first_name, family_name: a.last_name, nickname: a.first_name, picture: a.picture,
          gender: 'female', birthday: '1991-08-14', location: 'New York, New York',
          likes: [{ id: '40796308305', name: 'Coca-Cola', category: 'Food & beverage' }, { id: '15087023444', name: 'Nike', category: 'Sportswear store' }],
        },
        absent: ['locale', 'screen_name'],
      };
    },
    profileData: (w, data) => {
      const a = w.facebook.account;
      assert.equal(data.id, a.id);
      assert.equal(data.email, a.email);
      assert.equal(data.birthday, '08/14/1991', 'Graph\'s own format is kept in profileData');
      assert.equal((data.picture as { data: { url: string } }).data.url, a.picture);
      assert.deepEqual((data.location as { name: string }).name, 'New York, New York');
      assert.equal((data.likes as { data: unknown[] }).data.length, 2);
    },
    tokenShape: () => ({ access_token: /^EAA/ }),
  },
  {
    connection: 'twitter', label: 'X (Twitter)', deniedReason: 'denied by the user',
    fake: (w) => w.twitter,
    fresh: (w) => {
      const a = freshTwitter(w);
      return {
        id: a.id_str,
        root: {
          email: a.email, email_verified: true, name: a.name, nickname: a.screen_name, screen_name: a.screen_name,
          picture: a.profile_image_url_https.replace('_normal.', '.'), location: a.location,
        },
        absent: ['given_name', 'family_name', 'gender', 'birthday', 'likes'],
      };
    },
    profileData: (w, data) => {
      const a = w.twitter.account;
      assert.equal(data.id_str, a.id_str);
      assert.equal(data.screen_name, a.screen_name);
      assert.equal(data.email, a.email);
      // The numeric id is past 2^53: JSON.parse rounds it, which is why the user_id is built from id_str.
      assert.equal(typeof data.id, 'number');
      assert.notEqual(String(data.id), a.id_str);
    },
    tokenShape: (w) => ({ access_token: new RegExp(`^${w.twitter.account.id_str}-`), access_token_secret: /^[\w-]{30,}$/ }),
  },
];

function assertNoServerErrors(agent: ShopperAgent): void {
  assert.deepEqual(agent.serverErrors(), [], 'no 5xx answer on the way');
}

/** The shopper is back on insole's sign-in page with `message` in the alert. */
function assertSignInPageWith(page: Page, status: number, message: string | RegExp): void {
  assert.equal(page.left, undefined, 'the shopper stays at insole');
  assert.equal(page.status, status);
  assert.equal(read.h1(page.html), 'Sign in');
  if (typeof message === 'string') assert.equal(read.alert(page.html), message);
  else assert.match(read.alert(page.html) ?? '', message);
  assert.ok(read.form(page.html, /\/login$/), 'the password form is there to try another way');
}

describe('social sign-in: profiles, identities and counts', () => {
  let world: SocialWorld;
  const logged = captureLogs();
  before(async () => { world = await startSocialWorld({}, logged.logger); });
  after(async () => { await world.close(); });

  for (const p of PROVIDERS) {
    test(`${p.label}: the first sign-in stores the Auth0 profile and a sealed identity; the second counts 2 and refreshes the profile`, async () => {
      const { id, root, absent } = p.fresh(world);
      const user_id = `${p.connection}|${id}`;
      const since = new Date();

      // First sign-in: the storefront gets a code, openid-client exchanges it.
      const first = await socialTrip(world.insole, p.connection);
      assertNoServerErrors(first.agent);
      const tokens = await storefrontTokens(first, first.landing);
      const claims = tokens.claims()!;
      assert.equal(claims.sub, user_id);
      assert.equal(claims.email, root.email);
      assert.equal(claims.email_verified, root.email_verified);
      assert.equal(claims.name, root.name);

      const user = (await usersOf(world.insole).findOne({ user_id }))!;
      assert.ok(user, 'the user is stored under <connection>|<provider id>');
      for (const [field, value] of Object.entries(root)) assert.deepEqual(user[field], value, `${field} as mapped`);
      for (const field of absent) assert.equal(user[field], undefined, `no ${field} from ${p.label}`);
      assert.equal(user.logins_count, 1);
      assert.ok(user.last_login instanceof Date);
      assert.match(user.last_ip, /127\.0\.0\.1/);

      assert.equal(user.identities.length, 1);
      const identity = user.identities[0];
      const { profileData, sealed_tokens: sealed, ...identityFields } = identity;
      assert.deepEqual(identityFields, { provider: p.connection, user_id: id, connection: p.connection, isSocial: true });
      p.profileData(world, profileData);
      assert.doesNotMatch(JSON.stringify(profileData), /access_token|oauth_token|token_secret|refresh_token/, 'no tokens in profileData');

      // The provider's tokens are kept, sealed: AES-GCM's 12-byte iv and 16-byte tag, then ciphertext.
      assert.deepEqual(Object.keys(sealed).sort(), ['data', 'iv', 'tag']);
      assert.equal(Buffer.from(sealed.iv, 'base64').length, 12);
      assert.equal(Buffer.from(sealed.tag, 'base64').length, 16);
      const providerTokens = openSealedTokens(world.insole, sealed);
      for (const [name, shape] of Object.entries(p.tokenShape(world))) assert.match(providerTokens[name] ?? '', shape, `sealed ${name}`);

      // The plain tokens are nowhere else: stored documents, ID token, /userinfo, log events, log lines.
      const userinfo = await oidc.fetchUserInfo(first.config, tokens.access_token, user_id);
      assert.equal(userinfo.sub, user_id);
      const places: Record<string, string> = {
        'the user document': JSON.stringify(user),
        'the ID token': tokens.id_token!,
        'the ID token claims': JSON.stringify(claims),
        '/userinfo': JSON.stringify(userinfo),
        'the log events': JSON.stringify(await logsOf(world.insole).find().toArray()),
        'the social handshakes': JSON.stringify(await world.insole.db.collection('social_handshakes').find().toArray()),
        'insole\'s log lines': logged.lines.join(''),
      };
      assert.ok(logged.lines.some((l) => l.includes(`/login/callback/${p.connection}`)), 'the log lines were captured');
      for (const token of Object.values(providerTokens)) {
        for (const [place, text] of Object.entries(places)) assert.ok(!text.includes(token), `a provider token in ${place}`);
      }

      const firstLogs = await logsSince(world.insole, since, { user_id });
      assert.deepEqual(firstLogs.map((l) => l.type), ['ss']);
      assert.deepEqual(
        { connection: firstLogs[0]!.connection, strategy: firstLogs[0]!.strategy, strategy_type: firstLogs[0]!.strategy_type, client_id: firstLogs[0]!.client_id },
        { connection: p.connection, strategy: p.connection, strategy_type: 'social', client_id: STOREFRONT.client_id },
      );

      // Second sign-in, after the person changed their name at the provider.
      const fake = p.fake(world);
      fake.account = { ...fake.account, name: `${fake.account.name} Renamed` };
      const second = await socialTrip(world.insole, p.connection);
      assertNoServerErrors(second.agent);
      assert.equal((await storefrontTokens(second, second.landing)).claims()!.sub, user_id);

      const again = (await usersOf(world.insole).findOne({ user_id }))!;
      assert.equal(await usersOf(world.insole).countDocuments({ 'identities.provider': p.connection, 'identities.user_id': id }), 1, 'still one user');
      assert.equal(again.logins_count, 2);
      assert.ok(again.last_login > user.last_login, 'last_login moves on');
      assert.match(again.last_ip, /127\.0\.0\.1/);
      assert.equal(again.name, fake.account.name, 'the name is refreshed from the provider');
      assert.equal(again.identities.length, 1);
      assert.equal(again.identities[0].profileData.name, fake.account.name, 'profileData is refreshed');
      assert.notDeepEqual(again.identities[0].sealed_tokens, sealed, 'the new tokens are sealed');
      assert.notEqual(openSealedTokens(world.insole, again.identities[0].sealed_tokens).access_token, providerTokens.access_token);
      assert.equal(again.created_at.getTime(), user.created_at.getTime());

      const allLogs = await logsSince(world.insole, since, { user_id });
      assert.deepEqual(allLogs.map((l) => l.type), ['ss', 's']);
      assert.equal(allLogs[1]!.connection, p.connection);
      assert.equal(allLogs[1]!.strategy_type, 'social');
    });
  }

  test('connection=google-oauth2 (Auth0\'s "skip the login page") sends the shopper straight to Google, and back to the store signed in; an unknown connection shows the sign-in page', async () => {
    const a = freshGoogle(world, { email_verified: true });
    const agent = new ShopperAgent(world.insole.issuer);
    const config = await discoverStorefront(world.insole.issuer);
    const request = await buildAuthorization(config, { connection: 'google-oauth2' });
    const toGoogle = await agent.get(request.url);
    assert.ok(toGoogle.left?.startsWith(world.google.url), `at Google, not on a page of insole's: ${toGoogle.left ?? toGoogle.url}`);
    const landing = await follow(agent, (await answerConsent(toGoogle.left!, 'allow')).href, world.insole);
    assert.ok(landing.left, `back at the store: HTTP ${landing.status}`);
    assert.equal((await exchangeCode(config, landing.left, request)).claims()!.sub, `google-oauth2|${a.sub}`);

    for (const connection of ['Username-Password-Authentication', 'no-such-connection']) {
      const page = await new ShopperAgent(world.insole.issuer).get((await buildAuthorization(config, { connection })).url);
      assert.equal(page.left, undefined, connection);
      assert.match(await page.res.text(), /action="\/interaction\/[^"]+\/login"/, connection);
    }
  });

  test('prompt=select_account goes on to Google (its account chooser), from the sign-in page shown to a signed-in shopper and with connection=google-oauth2; without it Google gets no prompt', async () => {
    const a = freshGoogle(world, { email_verified: true });
    const first = await socialTrip(world.insole, 'google-oauth2');
    await storefrontTokens(first, first.landing);
    assert.equal(new URL(first.providerUrl!).searchParams.get('prompt'), null);
    const { agent, config } = first;

    const request = await buildAuthorization(config, { prompt: 'select_account' });
    const page = await follow(agent, request.url, world.insole);
    assert.equal(page.left, undefined, 'the sign-in page, though signed in');
    const button = /href="(\/interaction\/[^"]+\/connect\/google-oauth2)"/.exec(page.html)?.[1];
    assert.ok(button, 'Continue with Google');
    const toGoogle = await agent.get(new URL(button, world.insole.issuer).href);
    assert.equal(new URL(toGoogle.left!).searchParams.get('prompt'), 'select_account');
    const landing = await follow(agent, (await answerConsent(toGoogle.left!, 'allow')).href, world.insole);
    assert.ok(landing.left, `back at the store: HTTP ${landing.status}`);
    assert.equal((await exchangeCode(config, landing.left, request)).claims()!.sub, `google-oauth2|${a.sub}`);

    const straight = await agent.get((await buildAuthorization(config, { prompt: 'select_account', connection: 'google-oauth2' })).url);
    assert.ok(straight.left?.startsWith(world.google.url), `at Google: ${straight.left ?? straight.url}`);
    assert.equal(new URL(straight.left!).searchParams.get('prompt'), 'select_account');
  });

  test('a user an admin blocked cannot sign in with their provider: the sign-in page says so, an f event says why', async () => {
    const user_id = `google-oauth2|${freshGoogle(world, { email_verified: true }).sub}`;
    const first = await socialTrip(world.insole, 'google-oauth2');
    await storefrontTokens(first, first.landing);
    await usersOf(world.insole).updateOne({ user_id }, { $set: { blocked: true } });
    const since = new Date();
    const refused = await socialTrip(world.insole, 'google-oauth2');
    assert.equal(refused.landing.left, undefined, 'not sent back to the storefront');
    assert.equal(refused.landing.status, 403);
    assert.match(refused.landing.html, /This account cannot sign in/);
    assert.deepEqual((await logsSince(world.insole, since, { user_id })).map((l) => [l.type, l.details.error]), [['f', 'user is blocked']]);
    assert.equal((await usersOf(world.insole).findOne({ user_id }))!.logins_count, 1, 'no login counted');
  });

  test('Google: an address Google has not verified is stored unverified', async () => {
    const a = freshGoogle(world, { email_verified: false });
    const trip = await socialTrip(world.insole, 'google-oauth2');
    const claims = (await storefrontTokens(trip, trip.landing)).claims()!;
    assert.equal(claims.email, a.email);
    assert.equal(claims.email_verified, false);
    const user = await usersOf(world.insole).findOne({ user_id: `google-oauth2|${a.sub}` });
    assert.equal(user?.email_verified, false);
  });

  test('Google: a returning sign-in whose Google now verifies the same address verifies it (the ID token says so); one that stops saying so does not unverify it', async () => {
    const a = freshGoogle(world, { email_verified: false });
    const user_id = `google-oauth2|${a.sub}`;
    const signIn = async () => {
      const trip = await socialTrip(world.insole, 'google-oauth2');
      const claims = (await storefrontTokens(trip, trip.landing)).claims()!;
      const user = (await usersOf(world.insole).findOne({ user_id }))!;
      return { claims, user };
    };
    assert.equal((await signIn()).user.email_verified, false);

    world.google.account = { ...a, email_verified: true };
    const vouched = await signIn();
    assert.deepEqual([vouched.claims.email, vouched.claims.email_verified], [a.email, true]);
    assert.deepEqual([vouched.user.email, vouched.user.email_verified, vouched.user.logins_count], [a.email, true, 2]);
    assert.equal(vouched.user.facts.email_verified, true, 'the facts follow the profile');

    world.google.account = { ...a, email_verified: false };
    const unsaid = await signIn();
    assert.equal(unsaid.claims.email_verified, true);
    assert.equal(unsaid.user.email_verified, true, 'verified stays verified');
    assert.equal(unsaid.user.identities[0].profileData.email_verified, false, 'profileData is what Google sent this time');
    assert.equal(unsaid.user.logins_count, 3);
  });
});

describe('social sign-in: the shopper cancels, the provider fails', () => {
  let world: SocialWorld;
  let since: Date;
  let usersBefore: number;
  const logged = captureLogs();
  before(async () => { world = await startSocialWorld({ connections: { timeout_ms: TIMEOUT_MS } }, logged.logger); });
  after(async () => {
    await world.close();
    // Late provider answers (after a timeout) included: nothing went wrong on insole's side.
    assert.deepEqual(logged.lines.filter((l) => JSON.parse(l).level >= 50), [], 'no error logged');
  });
  beforeEach(async () => {
    healAll(world);
    since = new Date();
    usersBefore = await usersOf(world.insole).countDocuments();
  });

  /** One f log for the connection, with the reason; nothing else logged; no user made. */
  async function assertFailedCleanly(connection: Connection, reason: string | RegExp): Promise<void> {
    const logs = await logsSince(world.insole, since);
    assert.deepEqual(logs.map((l) => l.type), ['f'], 'exactly one failure event');
    const f = logs[0]!;
    assert.equal(f.connection, connection);
    assert.equal(f.strategy, connection);
    assert.equal(f.strategy_type, 'social');
    assert.equal(f.client_id, STOREFRONT.client_id);
    if (typeof reason === 'string') assert.equal(f.details.error, reason);
    else assert.match(String(f.details.error), reason);
    assert.equal(await usersOf(world.insole).countDocuments(), usersBefore, 'no user was created');
  }

  /** The handshake records of an interaction that failed are gone (single use whatever happened). */
  async function assertNoHandshakeLeft(trip: Trip): Promise<void> {
    const left = await world.insole.db.collection('social_handshakes').find({ uid: trip.uid }).toArray();
    assert.deepEqual(left.map((h) => h.kind), []);
  }

  for (const p of PROVIDERS) {
    test(`${p.label}: the shopper clicks Deny → the sign-in page says so; "Cancel and go back" returns access_denied to the store`, async () => {
      const { id } = p.fresh(world);
      const trip = await socialTrip(world.insole, p.connection, { decision: 'deny' });
      assertNoServerErrors(trip.agent);
      assertSignInPageWith(trip.landing, 400, `You cancelled signing in with ${p.label}.`);
      await assertFailedCleanly(p.connection, p.deniedReason);
      await assertNoHandshakeLeft(trip);
      assert.equal(await usersOf(world.insole).countDocuments({ 'identities.user_id': id }), 0);

      const back = await follow(trip.agent, read.link(trip.landing.html, /^Cancel and go back$/), world.insole);
      const callback = new URL(back.left!);
      assert.equal(callback.origin + callback.pathname, STOREFRONT.redirect_uri);
      assert.equal(callback.searchParams.get('error'), 'access_denied');
      assert.equal(callback.searchParams.get('state'), trip.request.state);
    });

    test(`${p.label}: reloading the page after Deny shows the sign-in page again while the sign-in lives; once it is over, a page saying to start again`, async () => {
      p.fresh(world);
      const trip = await socialTrip(world.insole, p.connection, { decision: 'deny' });
      assertSignInPageWith(trip.landing, 400, `You cancelled signing in with ${p.label}.`);
      const reloaded = await follow(trip.agent, trip.landing.url, world.insole);
      assert.equal(reloaded.status, 200);
      assert.equal(reloaded.url, `${world.insole.issuer}/interaction/${trip.uid}`, 'the interaction\'s own page');
      assert.equal(read.h1(reloaded.html), 'Sign in');
      assert.equal(read.alert(reloaded.html), undefined, 'the cancel was said once');
      await assertFailedCleanly(p.connection, p.deniedReason); // the reload logged nothing more

      const back = await follow(trip.agent, read.link(reloaded.html, /^Cancel and go back$/), world.insole);
      assert.equal(new URL(back.left!).searchParams.get('error'), 'access_denied', 'the sign-in goes on from the page shown again');
      const over = await follow(trip.agent, trip.landing.url, world.insole);
      assert.equal(over.status, 400);
      assert.equal(over.left, undefined);
      assert.equal(read.h1(over.html), 'Something went wrong');
      assert.match(over.html, /Go back to the store and try again/);
      assertNoServerErrors(trip.agent);
    });

    for (const [mode, target] of [['down', 'token'], ['garbage', 'token'], ['down', 'profile'], ['garbage', 'profile']] as const) {
      test(`${p.label}: ${target} endpoint ${mode === 'down' ? 'answers 500' : 'sends garbage'} → the sign-in page with a clear message, an f log, no user`, async () => {
        p.fresh(world);
        const fake = p.fake(world);
        const trip = await socialTrip(world.insole, p.connection, { atProvider: () => { fake.mode = mode; fake.modeTarget = target; } });
        assertNoServerErrors(trip.agent);
        assertSignInPageWith(trip.landing, 400, `${p.label} is not answering right now. Please try again, or use another way to sign in.`);
        await assertFailedCleanly(p.connection, /\w+: .+/);
        await assertNoHandshakeLeft(trip);
      });
    }

    test(`${p.label}: a profile without an id → "sent a profile we could not read", no user`, async () => {
      p.fresh(world);
      const fake = p.fake(world);
      const idField = { 'google-oauth2': 'sub', facebook: 'id', twitter: 'id_str' }[p.connection];
      fake.account = { ...fake.account, [idField]: '' };
      const trip = await socialTrip(world.insole, p.connection);
      assertNoServerErrors(trip.agent);
      assertSignInPageWith(trip.landing, 400, `${p.label} sent a profile we could not read. Please try again.`);
      await assertFailedCleanly(p.connection, /returned a profile without its (sub|id|id_str)$/);
    });
  }

  for (const [p, target] of [[PROVIDERS[0]!, 'token'], [PROVIDERS[0]!, 'profile'], [PROVIDERS[1]!, 'token'], [PROVIDERS[2]!, 'token']] as const) {
    test(`${p.label}: a ${target} endpoint slower than timeout_ms → the sign-in page within the timeout; the late answer creates nothing`, async () => {
      const { id } = p.fresh(world);
      const fake = p.fake(world);
      const timeout = world.insole.config.connections.timeout_ms;
      let answered = 0;
      const trip = await socialTrip(world.insole, p.connection, {
        atProvider: () => { fake.mode = 'slow'; fake.modeTarget = target; fake.delayMs = timeout + LATE_MS; answered = Date.now(); },
      });
      const waited = Date.now() - answered;
      assertNoServerErrors(trip.agent);
      assertSignInPageWith(trip.landing, 400, `${p.label} is not answering right now. Please try again, or use another way to sign in.`);
      assert.ok(waited >= timeout - 100 && waited < timeout + SLACK_MS, `the shopper waited about timeout_ms (${timeout}), not for the provider (${timeout + LATE_MS}): ${waited} ms`);
      await assertFailedCleanly(p.connection, `no answer from the provider within ${timeout} ms`);

      // The provider finally answers after the shopper was sent back: insole must ignore it.
      await untilLateAnswer(answered + timeout + LATE_MS);
      await assertFailedCleanly(p.connection, `no answer from the provider within ${timeout} ms`);
      assert.equal(await usersOf(world.insole).countDocuments({ 'identities.user_id': id }), 0);
    });
  }

  for (const mode of ['down', 'garbage', 'slow'] as const) {
    test(`X (Twitter): the request-token endpoint ${mode} → the sign-in page (502) before the shopper leaves insole`, async () => {
      freshTwitter(world);
      world.twitter.mode = mode;
      world.twitter.modeTarget = 'token';
      world.twitter.delayMs = world.insole.config.connections.timeout_ms + LATE_MS;
      const started = Date.now();
      const trip = await socialTrip(world.insole, 'twitter');
      assert.equal(trip.providerUrl, undefined, 'the shopper was not sent to X');
      assertSignInPageWith(trip.landing, 502, 'X (Twitter) is not answering right now. Please try again, or use another way to sign in.');
      assert.ok(Date.now() - started < world.insole.config.connections.timeout_ms + SLACK_MS, 'the page came after timeout_ms, not after the provider');
      await assertFailedCleanly('twitter', mode === 'slow' ? /no answer from the provider within/ : /\w+: .+/);
      if (mode !== 'slow') await assertNoHandshakeLeft(trip);
      else await untilLateAnswer(started + world.insole.config.connections.timeout_ms + LATE_MS); // X answers late: insole must shrug it off

      // The page still works: another way in, e.g. Google.
      world.twitter.mode = 'ok';
      freshGoogle(world);
      const button = read.link(trip.landing.html, /^Continue with Google$/);
      const toGoogle = await trip.agent.get(new URL(button, world.insole.issuer).href);
      assert.match(toGoogle.left ?? '', /\/o\/oauth2\/v2\/auth\?/);
    });
  }
});

describe('social sign-in: the callback cannot be forged, replayed or taken elsewhere', () => {
  let world: SocialWorld;
  let since: Date;
  let usersBefore: number;
  before(async () => { world = await startSocialWorld(); });
  after(async () => { await world.close(); });
  beforeEach(async () => {
    healAll(world);
    since = new Date();
    usersBefore = await usersOf(world.insole).countDocuments();
  });
  afterEach(async () => {
    assert.equal(await usersOf(world.insole).countDocuments({ logins_count: { $gt: 1 } }), 0, 'no sign-in was counted twice');
  });

  const FRESH = { 'google-oauth2': freshGoogle, facebook: freshFacebook, twitter: freshTwitter } as const;
  const LABEL = { 'google-oauth2': 'Google', facebook: 'Facebook', twitter: 'X (Twitter)' } as const;
  /** Requests that spend a code (OAuth 2) or a verifier (OAuth 1.0a) at the provider. */
  const tokenRequests = (connection: Connection) => {
    const fake = { 'google-oauth2': world.google, facebook: world.facebook, twitter: world.twitter }[connection] as FakeProvider<unknown>;
    return fake.requests.filter((r) => r.path.endsWith(connection === 'google-oauth2' ? '/token' : '/oauth/access_token')).length;
  };

  /** The shopper has consented; returns the callback URL the provider sent them to, not yet opened. */
  async function consentedCallback(connection: Connection, agent?: ShopperAgent) {
    const start = await openSignIn(world.insole, agent);
    const toProvider = await start.agent.get(`${world.insole.issuer}/interaction/${start.uid}/connect/${connection}`);
    assert.ok(toProvider.left, `connect/${connection} answered ${toProvider.res.status}, not a redirect to the provider: ${(await toProvider.res.text().catch(() => "")).slice(0, 600)}`);
    return { ...start, callback: new URL(await answerConsent(toProvider.left, 'allow')) };
  }

  /** Back on this browser's own sign-in page (interaction `uid`), told to try again. */
  function assertBackOnSignIn(page: Page, uid: string, connection: Connection): void {
    assertSignInPageWith(page, 400, `That sign-in with ${LABEL[connection]} has expired, was already used, or was started in another browser. Please try again.`);
    assert.ok(page.url.includes(`/interaction/${uid}/`), `the shopper's own sign-in: ${page.url}`);
  }

  /** A browser that is in no sign-in (any more): told to start again from the store, never a 5xx. */
  function assertStartAgainPage(page: Page): void {
    assert.equal(page.status, 400);
    assert.equal(page.left, undefined);
    assert.equal(read.h1(page.html), 'Something went wrong');
    assert.equal(read.alert(page.html), 'This sign-in has expired or was already used. Go back to the store and start again.');
  }

  async function assertRefusalLogged(connection: Connection, reason = 'missing or unknown state'): Promise<void> {
    const logs = await logsSince(world.insole, since);
    assert.deepEqual(logs.map((l) => [l.type, l.connection, l.details.error]), [['f', connection, reason]]);
    assert.equal(await usersOf(world.insole).countDocuments(), usersBefore, 'no user was created');
  }

  for (const connection of ['google-oauth2', 'facebook'] as const) {
    test(`${connection}: a callback without state → the sign-in page with a message, no call to the provider; the genuine one still works`, async () => {
      FRESH[connection](world);
      const { agent, callback, uid } = await consentedCallback(connection);
      const stripped = new URL(callback);
      stripped.searchParams.delete('state');
      const tokensBefore = tokenRequests(connection);
      assertBackOnSignIn(await follow(agent, stripped.href, world.insole), uid, connection);
      assert.equal(tokenRequests(connection), tokensBefore, 'the code was not sent to the provider');
      await assertRefusalLogged(connection);
      const genuine = await follow(agent, callback.href, world.insole);
      assert.ok(genuine.left?.startsWith(STOREFRONT.redirect_uri), 'a forged callback does not burn the real one');
      assertNoServerErrors(agent);
    });
  }

  test('a callback with a state insole never issued → the sign-in page with a message', async () => {
    freshGoogle(world);
    const { agent, callback, uid } = await consentedCallback('google-oauth2');
    const forged = new URL(callback);
    forged.searchParams.set('state', 'x'.repeat(32));
    assertBackOnSignIn(await follow(agent, forged.href, world.insole), uid, 'google-oauth2');
    await assertRefusalLogged('google-oauth2');
  });

  test('a Google state presented at the Facebook callback → the sign-in page with a message', async () => {
    freshGoogle(world);
    const { agent, callback, uid } = await consentedCallback('google-oauth2');
    const elsewhere = new URL(`/login/callback/facebook${callback.search}`, world.insole.issuer);
    assertBackOnSignIn(await follow(agent, elsewhere.href, world.insole), uid, 'facebook');
    await assertRefusalLogged('facebook');
  });

  test('X: a callback with an unknown or missing oauth_token → the sign-in page with a message', async () => {
    freshTwitter(world);
    const { agent, callback, uid } = await consentedCallback('twitter');
    const unknown = new URL(callback);
    unknown.searchParams.set('oauth_token', 'not-a-request-token');
    assertBackOnSignIn(await follow(agent, unknown.href, world.insole), uid, 'twitter');
    const missing = new URL(callback);
    missing.searchParams.delete('oauth_token');
    assertBackOnSignIn(await follow(agent, missing.href, world.insole), uid, 'twitter');
    assertBackOnSignIn(await follow(agent, `${world.insole.issuer}/login/callback/twitter?denied=not-a-request-token`, world.insole), uid, 'twitter');
    const logs = await logsSince(world.insole, since);
    assert.deepEqual(logs.map((l) => l.details.error), Array(3).fill('missing or unknown state'));
  });

  for (const connection of ['google-oauth2', 'facebook', 'twitter'] as const) {
    test(`${connection}: a callback with another browser's state → this browser's own sign-in page; the provider is not called, so the other browser still finishes`, async () => {
      const victim = await openSignIn(world.insole);
      const toProvider = await victim.agent.get(`${world.insole.issuer}/interaction/${victim.uid}/connect/${connection}`);
      assert.ok(toProvider.left, 'the victim is at the provider');
      const account = FRESH[connection](world);
      const attacker = await consentedCallback(connection); // e.g. sends the victim this link
      const tokensBefore = tokenRequests(connection);

      const page = await follow(victim.agent, attacker.callback.href, world.insole);
      assertBackOnSignIn(page, victim.uid, connection);
      assert.equal(tokenRequests(connection), tokensBefore, 'no request to the provider\'s token endpoint');
      await assertRefusalLogged(connection, 'state of a sign-in this browser did not start');

      const own = await follow(attacker.agent, attacker.callback.href, world.insole);
      assert.ok(own.left?.startsWith(STOREFRONT.redirect_uri), 'the code (or verifier) was not spent');
      assert.equal(tokenRequests(connection), tokensBefore + 1);
      const id = 'sub' in account ? account.sub : 'id_str' in account ? account.id_str : account.id;
      assert.equal(await usersOf(world.insole).countDocuments({ 'identities.user_id': id }), 1, 'only the other browser signed in');
      assertNoServerErrors(victim.agent);
    });

    test(`${connection}: a replayed callback after a failed one → the sign-in page with a message, and the provider is not asked again`, async () => {
      FRESH[connection](world);
      const fake = { 'google-oauth2': world.google, facebook: world.facebook, twitter: world.twitter }[connection];
      const trip = await socialTrip(world.insole, connection, { atProvider: () => { fake.mode = 'down'; fake.modeTarget = 'token'; } });
      assertSignInPageWith(trip.landing, 400, `${LABEL[connection]} is not answering right now. Please try again, or use another way to sign in.`);
      healAll(world);
      const tokensBefore = tokenRequests(connection);
      assertBackOnSignIn(await follow(trip.agent, trip.callbackUrl!, world.insole), trip.uid, connection);
      assert.equal(tokenRequests(connection), tokensBefore, 'the replay reached no provider endpoint');
      const logs = await logsSince(world.insole, since);
      assert.deepEqual(logs.map((l) => l.details.error).slice(1), ['missing or unknown state']);
      assertNoServerErrors(trip.agent);
    });

    test(`${connection}: opening the same callback URL twice after it signed in: the second is refused (the sign-in is over) and counts no login`, async () => {
      FRESH[connection](world);
      const trip = await socialTrip(world.insole, connection);
      assert.ok(trip.landing.left?.startsWith(STOREFRONT.redirect_uri));
      const tokensBefore = tokenRequests(connection);
      assertStartAgainPage(await follow(trip.agent, trip.callbackUrl!, world.insole));
      assert.equal(tokenRequests(connection), tokensBefore);
      const logs = await logsSince(world.insole, since);
      assert.deepEqual(logs.map((l) => [l.type, l.details?.error]), [['ss', undefined], ['f', 'missing or unknown state']]);
      assertNoServerErrors(trip.agent);
    });
  }

  test('two concurrent requests of one callback URL: exactly one signs in, one code exchange', async () => {
    const a = freshGoogle(world);
    const { agent, callback } = await consentedCallback('google-oauth2');
    const tokensBefore = tokenRequests('google-oauth2');
    const pages = await Promise.all([follow(agent, callback.href, world.insole), follow(agent, callback.href, world.insole)]);
    assert.equal(pages.filter((p) => p.left?.startsWith(STOREFRONT.redirect_uri)).length, 1, 'one reaches the storefront');
    const other = pages.find((p) => !p.left)!;
    assert.ok(other.status >= 400 && other.status < 500, `the other is refused: ${other.status}`);
    assert.equal(tokenRequests('google-oauth2'), tokensBefore + 1);
    const user = await usersOf(world.insole).findOne({ user_id: `google-oauth2|${a.sub}` });
    assert.equal(user?.logins_count, 1);
    assertNoServerErrors(agent);
  });

  test('a callback with a state but no code fails the sign-in instead of starting a new one', async () => {
    freshGoogle(world);
    const { agent, callback } = await consentedCallback('google-oauth2');
    const noCode = new URL(callback);
    noCode.searchParams.delete('code');
    const page = await follow(agent, noCode.href, world.insole);
    assertSignInPageWith(page, 400, 'Google is not answering right now. Please try again, or use another way to sign in.');
    const logs = await logsSince(world.insole, since);
    assert.deepEqual(logs.map((l) => [l.type, l.details.error]), [['f', 'Error: the provider came back without a code']]);
    const orphans = await world.insole.db.collection('social_handshakes').countDocuments({ uid: { $in: ['undefined', ''] } });
    assert.equal(orphans, 0, 'no state bound to no interaction');
    assert.equal(await usersOf(world.insole).countDocuments(), usersBefore);
  });

  test('the provider\'s callback opened in a browser that is in no sign-in: a page saying to start again, no call to the provider', async () => {
    const a = freshGoogle(world);
    const { callback } = await consentedCallback('google-oauth2');
    const tokensBefore = tokenRequests('google-oauth2');
    const attacker = new ShopperAgent(world.insole.issuer); // e.g. a link sent to someone else
    const page = await follow(attacker, callback.href, world.insole);
    assertStartAgainPage(page);
    assert.equal(tokenRequests('google-oauth2'), tokensBefore, 'the code was not sent to the provider');
    await assertRefusalLogged('google-oauth2', 'state of a sign-in this browser did not start');
    assert.equal(await usersOf(world.insole).countDocuments({ 'identities.user_id': a.sub }), 0);
    assertNoServerErrors(attacker);
  });

  test('the callback cookie is signed, HttpOnly, SameSite=Lax and scoped to /login/callback; a forged one is ignored', async () => {
    freshGoogle(world);
    const { agent, uid } = await openSignIn(world.insole);
    const leaving = await agent.request(`${world.insole.issuer}/interaction/${uid}/connect/google-oauth2`);
    const name = `insole.callback.${uid}`;
    const cookie = leaving.headers.getSetCookie().map(parseSetCookie).find((c) => c.name === name);
    assert.ok(cookie, 'set when the shopper leaves for Google');
    assert.equal(cookie.attributes.get('path'), '/login/callback');
    assert.equal(cookie.attributes.get('samesite'), 'Lax');
    assert.ok(cookie.attributes.has('httponly'));
    assert.equal(Number(cookie.attributes.get('max-age')), world.insole.config.ttl.interaction, 'gone when the interaction would be');
    assert.match(decodeURIComponent(cookie.value), new RegExp(`^s:${uid}\\.[\\w+/]+$`), 'signed');
    const callback = await answerConsent(leaving.headers.get('location')!, 'allow');

    const forger = new ShopperAgent(world.insole.issuer);
    forger.cookies.set(name, encodeURIComponent(`s:${uid}.not-the-signature`));
    forger.cookies.set('insole.callback.other', uid);
    const tokensBefore = tokenRequests('google-oauth2');
    assertStartAgainPage(await follow(forger, callback.href, world.insole));
    assert.equal(tokenRequests('google-oauth2'), tokensBefore, 'a forged cookie binds nothing');
    assert.ok((await follow(agent, callback.href, world.insole)).left?.startsWith(STOREFRONT.redirect_uri), 'the genuine browser still finishes');
  });
});

describe('social sign-in without an email from the provider', () => {
  let world: SocialWorld;
  let inbox: Inbox;
  before(async () => {
    inbox = await startInbox();
    world = await startSocialWorld({ mail: { smtp_url: inbox.url } });
  });
  after(async () => { await world.close(); await inbox.close(); });
  beforeEach(() => healAll(world));

  function assertEmailPage(page: Page, label: string, status: number): { action: string; csrf: string } {
    assert.equal(page.left, undefined);
    assert.equal(page.status, status);
    assert.equal(read.h1(page.html), 'One more step');
    assert.match(page.html, new RegExp(`${label.replace(/[()]/g, '\\$&')} did not share an email address with us`));
    return read.form(page.html, /\/social\/[^/]+\/email$/);
  }

  /** The answer to the email step is "check your inbox"; the link mailed to `email` finishes in this browser. */
  async function finishByMail(trip: Trip, answer: Page, email: string): Promise<Page> {
    assert.equal(answer.status, 200);
    assert.equal(read.h1(answer.html), 'Check your inbox');
    const mail = await inbox.waitFor(email, /^Confirm your email/);
    return follow(trip.agent, inbox.linkIn(mail, `${world.insole.issuer}/interaction/${trip.uid}/email-link?ticket=`), world.insole);
  }

  test('X without email: the shopper is asked for one; garbage is refused; a valid address, confirmed by mail, completes the sign-in', async () => {
    const a = freshTwitter(world, { email: undefined });
    const user_id = `twitter|${a.id_str}`;
    const since = new Date();
    const trip = await socialTrip(world.insole, 'twitter');
    const form = assertEmailPage(trip.landing, 'X (Twitter)', 200);
    assert.equal(await usersOf(world.insole).countDocuments({ user_id }), 0, 'no user before the email is given');

    // Not an address: the same page with the error, nothing created.
    const garbage = await submit(trip.agent, form.action, { email: 'not an email', _csrf: form.csrf }, world.insole);
    const again = assertEmailPage(garbage, 'X (Twitter)', 400);
    assert.equal(read.alert(garbage.html), 'Enter a valid email address.');
    assert.equal(read.inputValue(garbage.html, 'email'), 'not an email', 'what was typed stays in the field');
    assert.equal(again.action, form.action, 'the same pending sign-in');
    assert.equal(await usersOf(world.insole).countDocuments({ user_id }), 0);

    // Without the CSRF token: refused.
    const forged = await submit(trip.agent, form.action, { email: 'alan@example.com' }, world.insole);
    assert.equal(forged.status, 403);
    assert.equal(await usersOf(world.insole).countDocuments({ user_id }), 0);

    const answer = await submit(trip.agent, again.action, { email: '  Alan.Typed@Example.COM ', _csrf: again.csrf }, world.insole);
    assert.equal(await usersOf(world.insole).countDocuments({ user_id }), 0, 'no user before the mailed link is followed');
    const done = await finishByMail(trip, answer, 'alan.typed@example.com');
    const claims = (await storefrontTokens(trip, done)).claims()!;
    assert.equal(claims.sub, user_id);
    assert.equal(claims.email, 'alan.typed@example.com');
    assert.equal(claims.email_verified, true, 'the mailed link proved the mailbox');
    const user = (await usersOf(world.insole).findOne({ user_id }))!;
    assert.equal(user.email, 'alan.typed@example.com');
    assert.equal(user.email_verified, true);
    assert.equal(user.screen_name, a.screen_name);
    assert.equal(user.identities[0].profileData.email, undefined, 'profileData stays what X sent');
    assert.deepEqual((await logsSince(world.insole, since, { user_id })).map((l) => l.type), ['ss']);
    assertNoServerErrors(trip.agent);

    // The form cannot be posted again.
    const replay = await submit(trip.agent, again.action, { email: 'other@example.com', _csrf: again.csrf }, world.insole);
    assert.equal(replay.status, 400);
    assert.equal(replay.left, undefined);
    assert.equal((await usersOf(world.insole).findOne({ user_id }))!.email, 'alan.typed@example.com');

    // Next time X is enough: the identity is known.
    const next = await socialTrip(world.insole, 'twitter');
    assert.equal((await storefrontTokens(next, next.landing)).claims()!.sub, user_id);
    assert.equal((await usersOf(world.insole).findOne({ user_id }))!.logins_count, 2);
  });

  test('X without email: reloading the email step shows it again, and the address typed then completes the sign-in', async () => {
    const a = freshTwitter(world, { email: undefined });
    const trip = await socialTrip(world.insole, 'twitter');
    const form = assertEmailPage(trip.landing, 'X (Twitter)', 200);
    const reloaded = await follow(trip.agent, trip.landing.url, world.insole);
    const again = assertEmailPage(reloaded, 'X (Twitter)', 200); // not the sign-in page: X need not be asked again
    assert.equal(again.action, form.action, 'the same pending sign-in');

    const email = `reloaded.${a.id_str}@example.com`;
    const done = await finishByMail(trip, await submit(trip.agent, again.action, { email, _csrf: again.csrf }, world.insole), email);
    assert.equal((await storefrontTokens(trip, done)).claims()!.sub, `twitter|${a.id_str}`);
    assertNoServerErrors(trip.agent);
  });

  test('X without email: "Cancel and go back" leaves nothing behind', async () => {
    const a = freshTwitter(world, { email: undefined });
    const trip = await socialTrip(world.insole, 'twitter');
    assertEmailPage(trip.landing, 'X (Twitter)', 200);
    const back = await follow(trip.agent, read.link(trip.landing.html, /^Cancel and go back$/), world.insole);
    assert.equal(new URL(back.left!).searchParams.get('error'), 'access_denied');
    assert.equal(await usersOf(world.insole).countDocuments({ 'identities.user_id': a.id_str }), 0);
  });

  test('a Facebook account registered with a phone number gets the same email step', async () => {
    const a = freshFacebook(world, { email: undefined });
    const trip = await socialTrip(world.insole, 'facebook');
    const form = assertEmailPage(trip.landing, 'Facebook', 200);
    const email = `phone.${a.id}@example.com`;
    const done = await finishByMail(trip, await submit(trip.agent, form.action, { email, _csrf: form.csrf }, world.insole), email);
    const claims = (await storefrontTokens(trip, done)).claims()!;
    assert.equal(claims.sub, `facebook|${a.id}`);
    assert.equal(claims.email_verified, true);
  });
});
