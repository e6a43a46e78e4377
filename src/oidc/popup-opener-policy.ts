import type { KoaContextWithOIDC } from 'oidc-provider';

/** What decides it: an authorization request's parameters and its client, as oidc-provider holds them. */
type Params = Record<string, unknown> | undefined;
interface Client { redirectUriAllowed(redirectUri: string): boolean }

/**
 * auth0-spa-js's loginWithPopup() opens `/authorize?response_mode=web_message` (without
 * prompt=none) in a popup, and the answer's script posts the result to `window.opener`, the app's
 * page on another origin. An answer sent with `Cross-Origin-Opener-Policy: same-origin` (helmet's
 * default) anywhere in that popup's navigation, redirects included, puts the popup in a new browsing
 * context group and severs the opener for good (HTML Standard §7.1.3, "enforce a response's opener
 * policy": each response of a navigation's redirect chain is checked, and "needs a browsing context
 * group switch" once set stays set; Chromium does so: the social callback's 303 alone was enough),
 * and the SDK reports "Popup closed". `same-origin-allow-popups` on the popup's pages does not help: it lets the
 * document that sends it keep the popups *it* opens ("check if COOP values require a browsing context
 * group switch" spares only an initial about:blank of that policy landing on `unsafe-none`); the
 * popup's own document must match its opener's initial about:blank, which inherits the app's
 * `unsafe-none`. So exactly these documents say `unsafe-none`: the request must ask for web_message,
 * not prompt=none (the hidden iframe, which COOP does not concern), with a redirect_uri registered for
 * the client (the only origin the answer posts to, web-message-framing.ts). Framing is untouched:
 * `frame-ancestors 'none'` stays on every page with a form.
 */
export function isPopupSignIn(params: Params, client: Client | undefined): boolean {
  if (params?.response_mode !== 'web_message') return false;
  if (String(params.prompt ?? '').split(' ').includes('none')) return false;
  const redirectUri = params.redirect_uri;
  return typeof redirectUri === 'string' && client?.redirectUriAllowed(redirectUri) === true;
}

export const POPUP_OPENER_POLICY = 'unsafe-none';

/** oidc-provider's own answers of a popup sign-in (/authorize with its sign-in page, the resume with the web_message page, errors). */
export function keepOpenerOfPopupSignIn() {
  return async (ctx: KoaContextWithOIDC, next: () => Promise<void>): Promise<void> => {
    await next();
    if (isPopupSignIn(ctx.oidc?.params, ctx.oidc?.client)) ctx.set('cross-origin-opener-policy', POPUP_OPENER_POLICY);
  };
}
