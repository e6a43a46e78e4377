import type { Request, Response } from 'express';
import type { KoaContextWithOIDC } from 'oidc-provider';
import type { SocialConnection } from '../auth/profile-mapping.ts';
import type { Interaction, InteractionPages } from './interaction-pages.ts';

/**
 * oidc-provider answers an authorization request that needs a sign-in with a redirect to the
 * interaction's page, which then reads the interaction it has just stored. This answers it with that
 * page instead, rendered from the interaction in hand: one request and one database read fewer for
 * every sign-in, and one round trip fewer for the shopper (Keycloak answers `/authorize` with its
 * form too). The cookies oidc-provider set stay, so the form posts to `/interaction/:uid/…` as
 * before, and the interaction's own URL still shows its page. Other prompts (consent) and the other
 * routes that start an interaction keep their redirect. Registered after the provider's own
 * middleware, so the held writes (the interaction) are sent before this answer leaves (request-writes.ts).
 */
export function signInPageAtAuthorize(pages: Pick<InteractionPages, 'firstPage'>, connections: readonly SocialConnection[]) {
  return async (ctx: KoaContextWithOIDC, next: () => Promise<void>): Promise<void> => {
    await next();
    const interaction = ctx.oidc?.entities.Interaction as Interaction | undefined;
    if (ctx.oidc?.route !== 'authorization' || ctx.status !== 303 || interaction?.prompt.name !== 'login') return;
    // Auth0's `connection` parameter skips the sign-in page: a store's own "Continue with Google"
    // button sends the shopper straight on to the provider (social.routes.ts's connect route). Any
    // other value (the password connection, an unknown name) gets the page.
    const connection = connections.find((name) => name === interaction.params.connection);
    if (connection) return void ctx.redirect(`/interaction/${interaction.uid}/connect/${connection}`);
    // Express's request and response: the app mounts the provider, so they carry its methods.
    const page = await pages.firstPage(ctx.req as Request, ctx.res as Response, interaction);
    ctx.remove('Location');
    ctx.status = 200;
    ctx.type = 'html';
    ctx.body = page;
  };
}
