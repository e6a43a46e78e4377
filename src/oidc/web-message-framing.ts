import type { KoaContextWithOIDC } from 'oidc-provider';

/**
 * Who may frame oidc-provider's `web_message` answer. That answer (OAuth 2.0 Web Message Response
 * Mode, the one auth0-spa-js's getTokenSilently asks for in a hidden iframe) is a page with no UI
 * whose script posts the result to the redirect_uri's origin; oidc-provider drops `frame-ancestors`
 * from it so the client's page can frame it, which would let any site frame it. This puts the
 * directive back: the origin of the request's redirect_uri (registered for the client, exactly),
 * and `'none'` for anything else that lost it. Every other page keeps helmet's `'none'`, so a sign-in
 * form asked for with `web_message` is never framed.
 */
export function frameWebMessageOnlyForItsOrigin() {
  return async (ctx: KoaContextWithOIDC, next: () => Promise<void>): Promise<void> => {
    await next();
    const csp = ctx.response.get('content-security-policy');
    if (!csp || /(^|;)\s*frame-ancestors\s/.test(csp)) return;
    ctx.set('content-security-policy', `${csp};frame-ancestors ${webMessageOrigin(ctx) ?? "'none'"}`);
  };
}

function webMessageOrigin(ctx: KoaContextWithOIDC): string | undefined {
  const { params, client } = ctx.oidc ?? {};
  const redirectUri = params?.redirect_uri;
  if (params?.response_mode !== 'web_message' || typeof redirectUri !== 'string') return undefined;
  if (!client?.redirectUriAllowed(redirectUri)) return undefined;
  return URL.parse(redirectUri)?.origin;
}
