// Fake Google, Facebook and X (the ones the tests use) for trying social sign-in by hand:
//   npm run fake-providers            (keeps running; Ctrl-C stops)
//   INSOLE_CONFIG=data/fake-providers.json npm start
//   npm run storefront                → http://localhost:4000 → "Continue with Google" …
import { mkdir, writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { startFakeFacebook } from '../test/fakes/fake-facebook.ts';
import { startFakeGoogle } from '../test/fakes/fake-google.ts';
import { startFakeTwitter } from '../test/fakes/fake-twitter.ts';

const issuer = process.env.ISSUER ?? 'http://localhost:3000';
const callback = (connection: string) => [`${issuer}/login/callback/${connection}`];

const google = await startFakeGoogle({ clientId: 'fake-google-client', clientSecret: 'fake-google-secret', redirectUris: callback('google-oauth2') });
const facebook = await startFakeFacebook({ appId: 'fake-facebook-app', appSecret: 'fake-facebook-secret', redirectUris: callback('facebook'), enforcePermissions: false });
const twitter = await startFakeTwitter({ consumerKey: 'fake-x-key', consumerSecret: 'fake-x-secret', redirectUris: callback('twitter') });

const config = {
  connections: {
    'google-oauth2': {
      client_id: 'fake-google-client', client_secret: 'fake-google-secret',
      authorization_url: google.endpoints.authorizationURL, token_url: google.endpoints.tokenURL, userinfo_url: google.endpoints.userProfileURL,
    },
    facebook: {
      client_id: 'fake-facebook-app', client_secret: 'fake-facebook-secret',
      authorization_url: facebook.endpoints.authorizationURL, token_url: facebook.endpoints.tokenURL, profile_url: facebook.endpoints.profileURL,
    },
    twitter: {
      consumer_key: 'fake-x-key', consumer_secret: 'fake-x-secret',
      request_token_url: twitter.endpoints.requestTokenURL, authorization_url: twitter.endpoints.userAuthorizationURL,
      access_token_url: twitter.endpoints.accessTokenURL, profile_url: twitter.endpoints.userProfileURL,
    },
  },
};
const file = resolve('data', 'fake-providers.json');
await mkdir(resolve('data'), { recursive: true });
await writeFile(file, `${JSON.stringify(config, null, 2)}\n`);

console.log(`Fake providers for ${issuer}:
  Google    ${google.url}
  Facebook  ${facebook.url}
  X         ${twitter.url}
Their settings are in ${file}. In another terminal:
  INSOLE_CONFIG=${file} npm start
and then sign in from the storefront (npm run storefront, http://localhost:4000). Ctrl-C stops the fakes.`);

const stop = async () => { await Promise.all([google.close(), facebook.close(), twitter.close()]); process.exit(0); };
process.on('SIGINT', () => void stop());
process.on('SIGTERM', () => void stop());
