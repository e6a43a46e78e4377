import type { Request, Response } from 'express';
import type { KoaContextWithOIDC } from 'oidc-provider';
import type { Config } from '../config/schema.ts';
import { isPopupSignIn, POPUP_OPENER_POLICY } from '../oidc/popup-opener-policy.ts';

export type PopupCookie = ReturnType<typeof createPopupCookie>;

/**
 * Which sign-ins of this browser are popups (loginWithPopup()), and the app's origin, for when the
 * interaction is gone: its params (response_mode, redirect_uri) went with it, so its pages could not
 * tell and answered `same-origin`, which severed the popup and the SDK reported "Popup closed". With
 * this the sign-in-over page keeps the opener and tells the app, as oidc-provider's web_message
 * answer tells it an error. Signed (the origin is one insole checked, isPopupSignIn), HttpOnly,
 * scoped to the interaction's pages, and kept twice the interaction's lifetime so an expired
 * sign-in's pages still find it.
 */
export function createPopupCookie(config: Config) {
  const secure = config.issuer.startsWith('https://');
  const name = secure ? '__Secure-insole.popup' : 'insole.popup';
  const options = (uid: string) => ({ signed: true, httpOnly: true, sameSite: 'lax', secure, path: `/interaction/${uid}`, maxAge: 2 * config.ttl.interaction * 1000 } as const);

  return {
    /** oidc-provider middleware: a popup sign-in's `/authorize` leaves the cookie for its interaction. */
    remember() {
      return async (ctx: KoaContextWithOIDC, next: () => Promise<void>): Promise<void> => {
        await next();
        const uid = (ctx.oidc?.entities.Interaction as { uid?: string } | undefined)?.uid;
        const redirectUri = ctx.oidc?.params?.redirect_uri;
        if (!uid || ctx.oidc?.route !== 'authorization' || !isPopupSignIn(ctx.oidc.params, ctx.oidc.client)) return;
        // Express's response (the app mounts the provider): its signed cookies are cookie-parser's.
        (ctx.res as Response).cookie(name, new URL(String(redirectUri)).origin, options(uid));
      };
    },

    /** Interaction `uid` is over: when it was a popup's, the page that says so will tell the app (overPage). */
    over(req: Request, res: Response): void {
      const origin = (req.signedCookies as Record<string, unknown> | undefined)?.[name];
      if (typeof origin === 'string') res.locals.popupOver = origin;
    },
  };
}

/**
 * The locals of a page saying the sign-in is over: in a popup's, the app's origin for its script
 * (views/partials/foot.ejs), and the popup's opener policy so there is an opener to tell. Only the
 * page: a redirect away (the password reset's fallback) keeps `same-origin`.
 */
export function overPage(res: Response): { popupOver?: string } {
  const popupOver = res.locals.popupOver as string | undefined;
  if (popupOver) res.setHeader('Cross-Origin-Opener-Policy', POPUP_OPENER_POLICY);
  return { popupOver };
}
