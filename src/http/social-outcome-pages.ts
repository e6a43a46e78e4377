import type { Request, Response } from 'express';
import type { HandshakeStore } from '../auth/handshake.store.ts';
import { linkNotice } from '../auth/link-notice.ts';
import { CONNECTION_LABELS } from '../auth/passport-setup.ts';
import type { SocialConnection, SocialProfile } from '../auth/profile-mapping.ts';
import type { SocialOutcome } from '../auth/social-signin.service.ts';
import { AppError } from '../errors/app-error.ts';
import type { Identity } from '../users/user.model.ts';
import type { RequestContext } from '../users/password-signin.service.ts';
import { ACCOUNT_BLOCKED, type Interaction, type InteractionPages } from './interaction-pages.ts';

export type Sealed = Identity['sealed_tokens'];

export const signInExpired = () => new AppError('invalid_request', 400, 'This sign-in has expired or was already used. Go back to the store and start again.');

export type SocialOutcomePages = ReturnType<typeof createSocialOutcomePages>;

/**
 * What the shopper sees once a provider (or the email step's link) has answered: the sign-in
 * finished, the email step, or the offer to sign in to the account the address belongs to; and
 * the same page again on a reload. Shared by the provider's return (social.routes.ts) and the email
 * step (social-email.routes.ts).
 */
export function createSocialOutcomePages({ handshakes, pages }: { handshakes: HandshakeStore; pages: InteractionPages }) {
  async function respond(req: Request, res: Response, interaction: Interaction, connection: SocialConnection, profile: SocialProfile, sealed: Sealed, outcome: SocialOutcome, ctx: RequestContext) {
    const { uid } = interaction;
    if (outcome.kind === 'signed_in') return pages.finishLogin(req, res, interaction, outcome.user, ctx, connection);
    if (outcome.kind === 'blocked') return pages.show(req, res, 'login', { error: ACCOUNT_BLOCKED }, 403);
    if (outcome.kind === 'needs_email') {
      const id = await handshakes.put({ kind: 'pending_email', uid, connection, data: { profile, sealed } });
      return askEmail(req, res, interaction, id, connection);
    }
    const { user_id, email } = outcome.existing;
    // How the account signs in is told only to a shopper who proved the address (the provider vouched
    // for it, or its owner followed the email step's link): Google's unverified one is anyone's word,
    // and would tell whoever types it which providers that person uses.
    const targetConnections = profile.email_verified ? outcome.existing.connections : [];
    // One offer at a time: the sign-in links what the notice on screen names, not an earlier offer
    // of this interaction (another provider, or another account), whose tokens would wait unused.
    await handshakes.dropFor(uid, 'pending_link');
    await handshakes.put({ kind: 'pending_link', uid, connection, data: { profile, sealed, target_user_id: user_id, target_email: email, target_connections: targetConnections } });
    return offerLink(req, res, interaction, connection, email, targetConnections);
  }

  function offerLink(req: Request, res: Response, interaction: Interaction, connection: SocialConnection, email: string, targetConnections: string[]) {
    pages.offerLink(res, interaction.uid);
    return pages.show(req, res, 'login', { email, notice: linkNotice(email, connection, targetConnections) }, 200, interaction);
  }

  /** Shows the offer to sign in and link again when this browser was shown it (a reload); false when none waits. */
  async function offerAgain(req: Request, res: Response, interaction: Interaction): Promise<boolean> {
    const pending = pages.linkOffered(req, interaction.uid) ? await handshakes.peekFor(interaction.uid, 'pending_link') : null;
    if (typeof pending?.data.target_email !== 'string') return false;
    const targetConnections = Array.isArray(pending.data.target_connections) ? pending.data.target_connections.map(String) : [];
    await offerLink(req, res, interaction, pending.connection as SocialConnection, pending.data.target_email, targetConnections);
    return true;
  }

  /**
   * The outcome was shown already and this is the page reloaded: the interaction is alive (its
   * cookie was checked), so the shopper sees its page again, the offer to link when one waits, the
   * email step while its pending sign-in is unanswered (the provider's answer is spent: going back
   * to the first screen would make the shopper ask it again), else the first screen, rather than
   * being told to start again from the store.
   */
  async function showAgain(req: Request, res: Response, interaction: Interaction) {
    if (await offerAgain(req, res, interaction)) return;
    const askingEmail = await handshakes.peekFor(interaction.uid, 'pending_email');
    if (askingEmail) return askEmail(req, res, interaction, askingEmail._id, askingEmail.connection as SocialConnection, askingEmail.data.typed);
    res.redirect(303, `/interaction/${interaction.uid}`);
  }

  /** The email step's form; `typed`: the address mailed last, when the shopper comes back to use another. */
  function askEmail(req: Request, res: Response, interaction: Interaction, pendingId: string, connection: SocialConnection, typed?: unknown) {
    const email = typeof typed === 'string' ? typed : '';
    return pages.show(req, res, 'social-email', { pendingId, connectionLabel: CONNECTION_LABELS[connection], email }, 200, interaction);
  }

  return { respond, offerAgain, showAgain, askEmail };
}
