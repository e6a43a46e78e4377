import type { Core } from '../core.ts';
import type { AccountsArea } from '../users/accounts.area.ts';
import { createHandshakeStore } from './handshake.store.ts';
import { idpTokensBox } from './idp-tokens.ts';
import { createPassport, enabledConnections } from './passport-setup.ts';
import { createSocialCallbacks } from './social-callback.ts';
import { createSocialEmailStep } from './social-email-step.ts';
import { createSocialSigninService } from './social-signin.service.ts';

export type SocialArea = ReturnType<typeof createSocialArea>;

/** Google, Facebook and X through passport, inside the OIDC interaction; provider tokens kept sealed. */
export function createSocialArea({ config, connection, users, logs, http }: Core, accounts: Pick<AccountsArea, 'pendingSignups' | 'protection' | 'mails'>) {
  const handshakes = createHandshakeStore(connection);
  const tokenBox = idpTokensBox(config);
  return {
    handshakes,
    connections: enabledConnections(config),
    passport: createPassport(config, handshakes, http),
    socialSignin: createSocialSigninService({ users, logs, pendingSignups: accounts.pendingSignups }),
    emailStep: createSocialEmailStep({ users, handshakes, protection: accounts.protection, mails: accounts.mails, logs, issuer: config.issuer,
      sendAgainAfterSeconds: config.connections.email_step.send_again_after_seconds }),
    socialCallbacks: createSocialCallbacks({ handshakes, sealTokens: (tokens) => tokenBox.seal(JSON.stringify(tokens)) }),
  };
}
