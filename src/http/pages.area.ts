import cookieParser from 'cookie-parser';
import { Router } from 'express';
import type { Area } from '../area.ts';
import type { SocialArea } from '../auth/social.area.ts';
import type { Core } from '../core.ts';
import type { HooksArea } from '../hooks/hooks.area.ts';
import type { LiveProvider } from '../oidc/live-provider.ts';
import type { AccountsArea } from '../users/accounts.area.ts';
import { createCallbackCookie, signedCookieSecrets } from './callback-cookie.ts';
import { createInteractionPages } from './interaction-pages.ts';
import { createPendingLinkCookie } from './pending-link-cookie.ts';
import { createPopupCookie } from './popup-cookie.ts';
import { createSocialOutcomePages } from './social-outcome-pages.ts';
import { signInPageAtAuthorize } from './sign-in-page-at-authorize.ts';
import { createResumeHere } from '../oidc/resume-here.ts';
import { createCsrf } from './middleware/csrf.ts';
import { accountRoutes } from './routes/account.routes.ts';
import { homeRoutes } from './routes/home.routes.ts';
import { interactionRoutes } from './routes/interaction.routes.ts';
import { interactionResetRoutes } from './routes/interaction-reset.routes.ts';
import { socialEmailRoutes } from './routes/social-email.routes.ts';
import { socialRoutes } from './routes/social.routes.ts';

interface PagesDeps { oidc: LiveProvider; accounts: AccountsArea; social: SocialArea; hooks: Pick<HooksArea, 'postLogin'> }

/** The hosted pages a shopper's browser sees: sign-in and sign-up inside the OIDC interaction, social sign-in, emailed links. */
export function createHostedPagesArea({ config, renderView }: Core, { oidc, accounts, social, hooks }: PagesDeps): Area {
  const csrf = createCsrf(config);
  const provider = oidc.current;
  const popupCookie = createPopupCookie(config);
  const pages = createInteractionPages({ ...social, provider, renderView, csrf, postLogin: hooks.postLogin, pendingLink: createPendingLinkCookie(config), popupCookie, resume: createResumeHere(oidc) });
  oidc.use(signInPageAtAuthorize(pages, social.connections));
  oidc.use(popupCookie.remember());
  const outcomes = createSocialOutcomePages({ handshakes: social.handshakes, pages });
  const cookies = Router().use(cookieParser(signedCookieSecrets(config)));
  return {
    pages: [
      homeRoutes(config, renderView),
      cookies,
      interactionRoutes({ provider, pages, renderView, handshakes: social.handshakes, passwordSignin: accounts.passwordSignin, verifyEmailFirst: config.signup.verify_email_first }),
      interactionResetRoutes({ account: accounts.account, pages, csrf, renderView }),
      socialRoutes({ ...social, provider, pages, outcomes, callbackCookie: createCallbackCookie(config), timeoutMs: config.connections.timeout_ms }),
      socialEmailRoutes({ ...social, pages, outcomes, renderView }),
      accountRoutes({ account: accounts.account, renderView, csrf, handshakes: social.handshakes }),
    ],
  };
}
