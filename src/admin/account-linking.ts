import type { Config } from '../config/schema.ts';
import { AppError, BadRequestError, ConflictError } from '../errors/app-error.ts';
import type { LogService } from '../logs/log.service.ts';
import type { EndSessions } from '../oidc/revoke-account.ts';
import { identitiesOf, mainIdentityOf, sameIdentity } from '../users/main-identity.ts';
import type { Identity, UserDoc } from '../users/user.model.ts';
import type { UserRepository } from '../users/user.repository.ts';
import { assertMayChangeRoles, assertMayChangeSignIn, type RoleRights } from './role-members.ts';
import { UserNotFoundError } from './user-admin.service.ts';

/** The secondary user as Auth0's body names it: by its main identity, and optionally its connection. */
export interface SecondaryName { provider: string; user_id: string; connection?: string }

export type AccountLinking = ReturnType<typeof createAccountLinking>;

const ATTEMPTS = 10;
const pause = () => new Promise((resolve) => setTimeout(resolve, 200));
const revOf = (user: UserDoc) => (user.facts as { rev?: number } | undefined)?.rev ?? null;

/**
 * Auth0's account linking (POST /users/{id}/identities): the secondary user's identities move to the
 * primary, and the secondary stops existing; its root profile and metadata are not merged.
 *
 * No transactions (DESIGN), so the move is ordered for a crash at any point: identities are added
 * to the primary first (one atomic write), then the secondary is deleted. The identity index is not
 * unique, so adding first is possible; deleting first could lose the identities for good. A crash in
 * between leaves them on both users: sign-ins go to the primary (findByIdentity), and the same
 * request sent again finishes the move.
 */
export function createAccountLinking(deps: { users: UserRepository; logs: LogService; endSessions: EndSessions; dashboard: Config['dashboard'] }) {
  const { users, logs, endSessions, dashboard } = deps;

  async function primaryUser(userId: string): Promise<UserDoc> {
    const user = await users.findByUserId(userId);
    if (!user) throw new UserNotFoundError();
    return user;
  }

  /** The user whose main identity the body names: its user_id is `<provider>|<id>`, as insole makes every user's. */
  async function secondaryUser(primary: UserDoc, { provider, user_id, connection }: SecondaryName): Promise<UserDoc> {
    // Scripts send the id after the `|` (Auth0's documented form) or the whole user id: both name it.
    const named = { provider, user_id: user_id.startsWith(`${provider}|`) ? user_id.slice(provider.length + 1) : user_id, connection };
    const shown = `${named.provider}|${named.user_id}`;
    const user = await users.findByUserId(shown);
    const main = user && identitiesOf(user)[0];
    if (!user || !main || !sameIdentity(main)(named)) {
      if (primary.identities.some(sameIdentity(named))) throw new ConflictError(`The identity ${shown} is already linked to this user.`, 'identity_already_linked');
      throw new BadRequestError(`The secondary user does not exist: no user signs in with ${shown} as its main identity.`, 'inexistent_user');
    }
    if (named.connection !== undefined && named.connection !== main.connection) {
      throw new BadRequestError(`The secondary user's identity ${shown} is in connection ${main.connection}, not ${named.connection}.`, 'invalid_body');
    }
    return user;
  }

  // The secondary's blocks go with it: its identities would sign in to the (unblocked) primary.
  const isBlocked = (user: UserDoc) => user.blocked || user.blocked_for.length > 0;
  const blockedRefusal = (secondary: UserDoc) => new BadRequestError(`The secondary user ${secondary.user_id} is blocked${secondary.blocked ? '' : ' (brute-force blocks in blocked_for)'}: `
    + 'linking it would let it sign in again as the primary. Unblock it first if that is meant.', 'operation_not_supported');
  // An admin's block (not brute-force blocks: those stay on the primary, in force, and refuse no
  // social sign-in). Auth0 asks that both users sign in before a link; a blocked primary cannot, and
  // the secondary's identities would move into an account that refuses them (the hosted pages' link
  // refuses it too).
  const primaryBlockedRefusal = (primary: UserDoc) => new BadRequestError(`The primary user ${primary.user_id} is blocked: `
    + "the secondary's identities would move into an account that cannot sign in, and the secondary would be deleted. Unblock it first if that is meant.", 'operation_not_supported');

  /** What a link may not do, checked before anything is written. */
  function assertMayLink(primary: UserDoc, secondary: UserDoc, rights: RoleRights): void {
    if (primary.user_id === secondary.user_id) throw new BadRequestError('A user cannot be linked to itself.', 'invalid_body');
    // insole keeps a password, and the email that signs in with it, on the user, not on the identity:
    // moved to another user the identity would sign in to nothing.
    if (identitiesOf(secondary).some((i) => i.provider === 'auth0')) {
      throw new BadRequestError('A password (database) user cannot be the secondary of a link here: its password and email stay with the user. '
        + 'Link the other way round, the password user as the primary.', 'operation_not_supported');
    }
    const theirs = identitiesOf(secondary);
    const already = theirs.filter((i) => primary.identities.some(sameIdentity(i)));
    if (already.length && already.length < theirs.length) {
      throw new ConflictError(`The identity ${already[0].provider}|${already[0].user_id} is on both users: unlink it from one first.`, 'identity_already_linked');
    }
    assertStillMayLink(primary, secondary, rights);
  }

  /** What a concurrent write can change (a block, a role): checked again on each read of the move. */
  function assertStillMayLink(primary: UserDoc, secondary: UserDoc, rights: RoleRights): void {
    if (primary.blocked) throw primaryBlockedRefusal(primary);
    if (isBlocked(secondary)) throw blockedRefusal(secondary);
    // The secondary stops existing, roles and all: that takes its roles away.
    assertMayChangeRoles(secondary, { email: undefined, email_verified: false, app_metadata: {} }, rights, dashboard);
    // Whoever signs in with the secondary's identities becomes the primary, with its roles.
    assertMayChangeSignIn(primary, { password: false, email: false, identities: true }, rights, dashboard);
  }

  /**
   * Adds what the primary lacks (while it is unblocked), then deletes the secondary as read and
   * unblocked; again when either changed (a sign-in) in between. A block or a role that landed
   * after the checks refuses the link as one found by them would: what was added to the primary is
   * taken off again first.
   */
  async function move(primaryId: string, secondaryId: string, rights: RoleRights): Promise<void> {
    const added: Identity[] = [];
    for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
      const secondary = await users.findWithIdentityTokens(secondaryId);
      if (!secondary) return; // a concurrent request finished it
      const primary = await primaryUser(primaryId);
      try {
        assertStillMayLink(primary, secondary, rights);
      } catch (refusal) {
        await undo(primaryId, secondaryId, added);
        throw refusal;
      }
      const own = primary.identities.length ? [] : [mainIdentityOf(primary)];
      const theirs = identitiesOf(secondary).filter((i) => !primary.identities.some(sameIdentity(i)));
      if (theirs.length || own.length) {
        if (!await users.addIdentities(primaryId, [...own, ...theirs], new Date(), { first: own.length > 0, unblocked: true })) continue; // the primary changed: look again
        added.push(...theirs);
      }
      await endSessions(secondaryId);
      if (await users.removeLinked(secondaryId, revOf(secondary))) return;
      await pause(); // its last sign-in's log is moved within events.gather_ms
    }
    throw new AppError('link_unfinished', 503, 'The secondary user kept changing (sign-ins in progress). Its identities are on the primary; '
      + 'send the same request again to finish the link.', { expose: true });
  }

  /** A refused link: takes off the primary what it added, and gives the secondary up for later links. */
  async function undo(primaryId: string, secondaryId: string, added: Identity[]): Promise<void> {
    for (const identity of added) await users.unlinkIdentity(primaryId, identity.provider, identity.user_id, new Date());
    await users.releaseLinkClaim(secondaryId, primaryId);
  }

  return {
    /** Links the secondary into the primary; the primary's identities after it. `by`: who asked, for the log. */
    async link(primaryId: string, named: SecondaryName, rights: RoleRights, by: string): Promise<Identity[]> {
      const primary = await primaryUser(primaryId);
      const secondary = await secondaryUser(primary, named);
      assertMayLink(primary, secondary, rights);
      // Two links of one secondary into two primaries at once would each add its identities: one wins.
      if (!await users.claimForLink(secondary.user_id, primaryId)) {
        if (!await users.findByUserId(secondary.user_id)) throw new BadRequestError('The secondary user does not exist (any more).', 'inexistent_user');
        throw new ConflictError(`The secondary user ${secondary.user_id} is being linked to another user.`, 'identity_already_linked');
      }
      await move(primaryId, secondary.user_id, rights);
      const moved = identitiesOf(secondary);
      await logs.record({
        type: 'link', user_id: primaryId, user_name: primary.email, connection: moved[0].connection, strategy: moved[0].provider, strategy_type: 'social',
        details: { linked: secondary.user_id, identities: moved.map((i) => `${i.provider}|${i.user_id}`), by },
      });
      return (await primaryUser(primaryId)).identities;
    },
  };
}
