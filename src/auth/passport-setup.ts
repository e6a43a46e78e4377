import { Passport } from 'passport';
import { Strategy as GoogleStrategy } from 'passport-google-oauth20';
import { Strategy as FacebookStrategy } from 'passport-facebook';
import { Strategy as TwitterStrategy } from 'passport-twitter';
import type { Config } from '../config/schema.ts';
import type { OutboundHttp } from '../integrations/http-dispatcher.ts';
import { joinUrl } from '../lib/join-url.ts';
import type { SocialConnection } from './profile-mapping.ts';
import { oauth1RequestTokenStore, oauth2StateStore } from './passport-stores.ts';
import type { HandshakeStore } from './handshake.store.ts';

/** What a strategy hands back: the provider's raw profile and its tokens (never logged or shown). */
export interface ProviderResult {
  raw: Record<string, unknown>;
  tokens: Record<string, string | undefined>;
}

export const CONNECTION_LABELS: Record<SocialConnection, string> = {
  'google-oauth2': 'Google',
  facebook: 'Facebook',
  twitter: 'X (Twitter)',
};

export function enabledConnections(config: Config): SocialConnection[] {
  const c = config.connections;
  const enabled: SocialConnection[] = [];
  if (c['google-oauth2'].client_id && c['google-oauth2'].client_secret) enabled.push('google-oauth2');
  if (c.facebook.client_id && c.facebook.client_secret) enabled.push('facebook');
  if (c.twitter.consumer_key && c.twitter.consumer_secret) enabled.push('twitter');
  return enabled;
}

export function callbackUrl(config: Config, connection: SocialConnection): string {
  return `${config.issuer}/login/callback/${connection}`;
}

/**
 * One Passport instance per app (not the global singleton), with a strategy per enabled
 * connection, named after the Auth0 connection. No passport sessions: the OIDC interaction is the
 * session, and handshake state lives in MongoDB (see passport-stores.ts).
 */
export function createPassport(config: Config, handshakes: HandshakeStore, http: OutboundHttp): InstanceType<typeof Passport> {
  const passport = new Passport();
  const { connections } = config;
  const oauth2Done = (accessToken: string, refreshToken: string | undefined, profile: { _json: Record<string, unknown> }, done: (err: null, user: ProviderResult) => void) =>
    done(null, { raw: profile._json, tokens: { access_token: accessToken, refresh_token: refreshToken } });

  for (const connection of enabledConnections(config)) {
    if (connection === 'google-oauth2') {
      const google = connections['google-oauth2'];
      passport.use(connection, throughProxy(new GoogleStrategy({
        clientID: google.client_id!, clientSecret: google.client_secret!, callbackURL: callbackUrl(config, connection),
        authorizationURL: google.authorization_url, tokenURL: google.token_url, userProfileURL: google.userinfo_url,
        scope: google.scope, store: oauth2StateStore(handshakes, connection),
      } as ConstructorParameters<typeof GoogleStrategy>[0], oauth2Done as never), [google.token_url, google.userinfo_url], http));
    }
    if (connection === 'facebook') {
      const fb = connections.facebook;
      const graph = `https://graph.facebook.com/${fb.graph_version}`;
      // The fields go in the URL as Graph names (passport-facebook would rename some of them), added
      // with the URL API so a configured URL keeps its own path and query (a gateway's, say).
      const profileUrl = new URL(fb.profile_url ?? joinUrl(graph, 'me'));
      profileUrl.searchParams.set('fields', fb.profile_fields.join(','));
      const tokenUrl = fb.token_url ?? joinUrl(graph, 'oauth/access_token').href;
      passport.use(connection, throughProxy(new FacebookStrategy({
        clientID: fb.client_id!, clientSecret: fb.client_secret!, callbackURL: callbackUrl(config, connection),
        authorizationURL: fb.authorization_url ?? `https://www.facebook.com/${fb.graph_version}/dialog/oauth`,
        tokenURL: tokenUrl, profileURL: profileUrl.href,
        enableProof: true, scope: fb.scope, store: oauth2StateStore(handshakes, connection),
      } as ConstructorParameters<typeof FacebookStrategy>[0], oauth2Done as never), [tokenUrl, profileUrl.href], http));
    }
    if (connection === 'twitter') {
      // passport-twitter's `oauth` OAuth (1.0a) client calls http(s).request without an agent option,
      // so it cannot be given ours: it uses Node's global agent (README "Outbound HTTP").
      const tw = connections.twitter;
      passport.use(connection, new TwitterStrategy({
        consumerKey: tw.consumer_key!, consumerSecret: tw.consumer_secret!, callbackURL: callbackUrl(config, connection),
        requestTokenURL: tw.request_token_url, accessTokenURL: tw.access_token_url,
        userAuthorizationURL: tw.authorization_url, userProfileURL: tw.profile_url, includeEmail: tw.include_email,
        requestTokenStore: oauth1RequestTokenStore(handshakes),
      } as never,
      (token: string, tokenSecret: string, profile: { _json: Record<string, unknown> }, done: (err: null, user: ProviderResult) => void) =>
        done(null, { raw: profile._json, tokens: { access_token: token, access_token_secret: tokenSecret } })));
    }
  }
  return passport;
}

/**
 * passport-oauth2 strategies (Google, Facebook) make their token and profile calls through the
 * `oauth` package's OAuth2 client, which takes a node:http(s) agent (`setAgent`): ours carries the
 * outbound proxy settings and keep-alive. One agent serves one protocol, so both URLs must share it
 * (they do for every real provider; the README says what happens otherwise).
 */
function throughProxy<S extends object>(strategy: S, urls: string[], http: OutboundHttp): S {
  const protocols = new Set(urls.map((url) => new URL(url).protocol));
  const [protocol] = protocols;
  // `_oauth2` is passport-oauth2's documented protected member (its README's way to customise the client).
  const oauth2 = (strategy as unknown as { _oauth2: { setAgent(agent: unknown): void } })._oauth2;
  if (protocols.size === 1 && (protocol === 'http:' || protocol === 'https:')) oauth2.setAgent(http.nodeAgent(protocol));
  return strategy;
}
