import { startFakeFacebook, type FakeFacebook } from '../fakes/fake-facebook.ts';
import { startFakeGoogle, type FakeGoogle } from '../fakes/fake-google.ts';
import { startFakeTwitter, type FakeTwitter } from '../fakes/fake-twitter.ts';
import { answerConsent } from '../fakes/drive.ts';
import type { Logger } from '../../src/lib/logger.ts';
import { startTestInsole, testDatabaseUri, type TestInsole } from './insole.ts';
import { buildAuthorization, discoverStorefront, exchangeCode, oidc } from './relying-party.ts';
import { UserAgent } from './user-agent.ts';

export interface SocialWorld {
  insole: TestInsole;
  google: FakeGoogle;
  facebook: FakeFacebook;
  twitter: FakeTwitter;
  close(): Promise<void>;
}

export interface FakesLayout {
  /** Each fake is served under `<pathPrefix>/<google|facebook|twitter>`, as behind an API gateway. */
  pathPrefix?: string;
  /** A query string (without '?') the configured Facebook profile URL carries already. */
  facebookProfileQuery?: string;
}

/**
 * insole with all three connections pointed at fake providers on loopback; `logger` to read its log lines.
 * `overrides.connections` is merged into the connections (e.g. `{ timeout_ms }`). The provider budget
 * (connections.timeout_ms) stays at its default (10 s): it is a wall-clock deadline on the strategy
 * run less our own handshake writes (provider-clock.ts). At 1.5 s a loaded machine could still
 * overrun it on a connect to X (one loopback request, and the event loop's own delays), which then
 * shows the 502 sign-in page where the test expects the redirect. Only tests of a slow provider set a short one.
 */
export async function startSocialWorld(overrides: Record<string, unknown> = {}, logger?: Logger, layout: FakesLayout = {}, databaseUri = testDatabaseUri()): Promise<SocialWorld> {
  const { connections, ...settings } = overrides as { connections?: Record<string, unknown> };
  const under = (name: string) => (layout.pathPrefix === undefined ? undefined : `${layout.pathPrefix}/${name}`);
  const google = await startFakeGoogle({ clientId: 'google-client', clientSecret: 'google-secret', pathPrefix: under('google') });
  const facebook = await startFakeFacebook({ appId: 'fb-app', appSecret: 'fb-secret', pathPrefix: under('facebook') });
  const twitter = await startFakeTwitter({ consumerKey: 'tw-key', consumerSecret: 'tw-secret', pathPrefix: under('twitter') });
  const facebookProfile = facebook.endpoints.profileURL + (layout.facebookProfileQuery ? `?${layout.facebookProfileQuery}` : '');
  const insole = await startTestInsole({
    connections: {
      'google-oauth2': {
        client_id: 'google-client', client_secret: 'google-secret',
        authorization_url: google.endpoints.authorizationURL, token_url: google.endpoints.tokenURL, userinfo_url: google.endpoints.userProfileURL,
      },
      facebook: {
        client_id: 'fb-app', client_secret: 'fb-secret',
        scope: ['email', 'public_profile', 'user_birthday', 'user_gender', 'user_location', 'user_likes'],
        authorization_url: facebook.endpoints.authorizationURL, token_url: facebook.endpoints.tokenURL, profile_url: facebookProfile,
      },
      twitter: {
        consumer_key: 'tw-key', consumer_secret: 'tw-secret',
        request_token_url: twitter.endpoints.requestTokenURL, authorization_url: twitter.endpoints.userAuthorizationURL,
        access_token_url: twitter.endpoints.accessTokenURL, profile_url: twitter.endpoints.userProfileURL,
      },
      ...connections,
    },
    ...settings,
  }, databaseUri, logger);
  for (const [fake, name] of [[google, 'google-oauth2'], [facebook, 'facebook'], [twitter, 'twitter']] as const) {
    fake.registerRedirectUri(`${insole.issuer}/login/callback/${name}`);
  }
  return {
    insole, google, facebook, twitter,
    async close() { await insole.stop(); await Promise.all([google.close(), facebook.close(), twitter.close()]); },
  };
}

/**
 * A shopper on the storefront clicks "Continue with <provider>", answers the provider's consent
 * page, and comes back. Returns the page insole shows, or the storefront callback URL it left for.
 */
export async function socialSignIn(insole: TestInsole, connection: string, decision: 'allow' | 'deny' = 'allow', agent = new UserAgent(insole.issuer)) {
  const config = await discoverStorefront(insole.issuer);
  const request = await buildAuthorization(config);
  const page = await agent.get(request.url);
  const html = await page.res.text();
  const connect = new RegExp(`href="(/interaction/[^"]+/connect/${connection})"`).exec(html)?.[1];
  if (!connect) throw new Error(`no "Continue with ${connection}" button on the sign-in page`);
  const toProvider = await agent.get(new URL(connect, insole.issuer).href);
  if (!toProvider.left) return { agent, config, request, page: toProvider.res, callback: undefined };
  const back = await answerConsent(toProvider.left, decision);
  const result = await agent.get(back.href);
  return { agent, config, request, page: result.left ? undefined : result.res, callback: result.left };
}

export async function tokensFor(outcome: Awaited<ReturnType<typeof socialSignIn>>) {
  if (!outcome.callback) throw new Error(`sign-in did not complete: ${(await outcome.page?.text())?.slice(0, 500)}`);
  return exchangeCode(outcome.config, outcome.callback, outcome.request);
}

export { oidc };
