import type { LogService } from '../logs/log.service.ts';
import { mainIdentityOf } from '../users/main-identity.ts';
import type { Identity, UserDoc } from '../users/user.model.ts';
import type { RequestContext } from '../users/password-signin.service.ts';
import type { PendingSignupRepository } from '../users/pending-signup.repository.ts';
import type { UserRepository } from '../users/user.repository.ts';
import { isDuplicateKeyError } from '../db/duplicate-keys.ts';
import { PROVIDER_PROFILE_FIELDS, type SocialProfile } from './profile-mapping.ts';

/** Two addresses as insole compares them: trimmed and lower-cased, as it stores them (README "Profiles and logs"). */
const sameAddress = (a: string, b: string) => a.trim().toLowerCase() === b.trim().toLowerCase();

export type SocialOutcome =
  | { kind: 'signed_in'; user: UserDoc }
  /** X may not share an email: ask the shopper for one before finishing. */
  | { kind: 'needs_email' }
  /** The email belongs to an existing account: the shopper must sign in to it first, and only then is the identity linked. */
  | { kind: 'needs_link'; existing: { user_id: string; email: string; connections: string[] } }
  /** An admin blocked this user (Management API `blocked: true`): no sign-in, by any connection. */
  | { kind: 'blocked' };

type Sealed = Identity['sealed_tokens'];

export type SocialSigninService = ReturnType<typeof createSocialSigninService>;

export function createSocialSigninService({ users, logs, pendingSignups }: {
  users: UserRepository; logs: LogService; pendingSignups: Pick<PendingSignupRepository, 'drop'>;
}) {
  const strategyOf = (profile: SocialProfile) => ({ connection: profile.connection, strategy: profile.connection, strategy_type: 'social' });

  function identityOf(profile: SocialProfile, sealed: Sealed): Identity {
    return { provider: profile.connection, user_id: profile.id, connection: profile.connection, isSocial: true, profileData: profile.profileData, sealed_tokens: sealed };
  }

  /**
   * Root profile fields as the provider states them; absent ones are left alone. The profile has
   * been through a handshake record in MongoDB, which turns undefined into null: both mean absent.
   */
  function rootFieldsOf(profile: SocialProfile): Partial<UserDoc> {
    return Object.fromEntries(PROVIDER_PROFILE_FIELDS.map((field) => [field, profile[field]])
      .filter(([, v]) => v !== undefined && v !== null)) as Partial<UserDoc>;
  }

  /**
   * The provider now vouches for the very address the user has, unverified (Auth0 refreshes root
   * attributes from the primary identity at each login). Only upwards: a provider that stops saying
   * so, or vouches for another address, proves nothing about the stored one (README "Social sign-in").
   * The same address whatever its letter case: insole stores and looks up addresses trimmed and
   * lower-cased (sign-up, the Admin API, the provider's own), though a migration may have stored one
   * otherwise; RFC 5321 §2.4 lets a mailbox's local part be case-sensitive, but hosts SHOULD NOT rely on it.
   */
  function vouchesAnew(user: UserDoc, profile: SocialProfile): boolean {
    return profile.email_verified && profile.email != null && user.email != null && sameAddress(profile.email, user.email) && user.email_verified !== true;
  }

  async function signInReturning(user: UserDoc, profile: SocialProfile, sealed: Sealed, ctx: RequestContext): Promise<UserDoc> {
    // No identities stored (a migrated user): findByIdentity found it by its user_id, which names this one.
    const primary = user.identities.length === 0 || (user.identities[0].provider === profile.connection && user.identities[0].user_id === profile.id);
    const log = logs.prepare({ type: 's', ...ctx, ...strategyOf(profile), user_id: user.user_id, user_name: user.email ?? user.nickname });
    const updated = await users.recordSocialLogin(user, identityOf(profile, sealed), primary ? rootFieldsOf(profile) : {}, ctx.ip, new Date(), log);
    if (!updated) return user;
    logs.write(log);
    if (!primary || !vouchesAnew(updated, profile)) return updated;
    // Only while the stored address is still the one compared, as stored (an admin may change it
    // meanwhile). The write queues the hooks a verified address now allows (hooks.area.ts), as the mailed link does.
    return (await users.markEmailVerified(updated.user_id, updated.email!)) ?? updated;
  }

  /**
   * Links the identity to the account just signed in to; false when the account was blocked since
   * (its sign-in checked that before): nothing is written, and the sign-in must be refused.
   */
  async function link(user: UserDoc, profile: SocialProfile, sealed: Sealed, ctx: RequestContext): Promise<boolean> {
    const identity = identityOf(profile, sealed);
    // A user a migration stored without identities keeps its own first (main-identity.ts).
    const linked = user.identities.length
      ? await users.linkIdentity(user.user_id, identity, new Date())
      : Boolean(await users.addIdentities(user.user_id, [mainIdentityOf(user), identity], new Date(), { first: true, unblocked: true }));
    if (!linked && (await users.findByUserId(user.user_id))?.blocked) return false;
    await logs.record({ type: 'link', ...ctx, ...strategyOf(profile), user_id: user.user_id, user_name: user.email, details: { linked: `${profile.connection}|${profile.id}` } });
    return true;
  }

  async function refuseBlocked(user: UserDoc, profile: SocialProfile, ctx: RequestContext): Promise<SocialOutcome> {
    await logs.record({ type: 'f', ...ctx, ...strategyOf(profile), user_id: user.user_id, user_name: user.email ?? user.nickname, details: { error: 'user is blocked' } });
    return { kind: 'blocked' };
  }

  async function complete(profile: SocialProfile, sealed: Sealed, ctx: RequestContext, again = false): Promise<SocialOutcome> {
    const known = await users.findByIdentity(profile.connection, profile.id);
    if (known?.blocked) return refuseBlocked(known, profile, ctx);
    if (known) return { kind: 'signed_in', user: await signInReturning(known, profile, sealed, ctx) };
    if (!profile.email) return { kind: 'needs_email' };

    // Never linked on a matching email, verified or not: a verified email proves who reads the mailbox
    // now, not who made the account. Whoever typed the victim's address into an account of their own
    // (a password sign-up; an X email step's link works only in its own browser) gets it verified the moment the victim clicks
    // "confirm"; merging the victim's Google into it would be account pre-hijacking. The shopper signs
    // in to the account first (interaction-pages.ts finishLogin links then), as Auth0's account-link
    // extension asks.
    const existing = await users.findByEmailForVisitor(profile.email);
    if (existing) {
      return { kind: 'needs_link', existing: { user_id: existing.user_id, email: existing.email!, connections: existing.identities.map((i) => i.connection) } };
    }

    const now = new Date();
    const user_id = `${profile.connection}|${profile.id}`;
    const log = logs.prepare({ type: 'ss', ...ctx, ...strategyOf(profile), user_id, user_name: profile.email });
    try {
      const user = await users.insert({
        user_id, email: profile.email, email_verified: profile.email_verified, ...rootFieldsOf(profile),
        identities: [identityOf(profile, sealed)],
        created_at: now, updated_at: now, last_login: now, last_ip: ctx.ip, logins_count: 1,
        blocked: false, blocked_for: [], user_metadata: {}, app_metadata: {},
      }, { log });
      logs.write(log);
      // The provider proved the mailbox, which a pending (unconfirmed) password sign-up never did: the
      // address is this user's now. An unverified provider email proves nothing and touches nothing pending.
      if (profile.email_verified) await pendingSignups.drop(profile.email);
      return { kind: 'signed_in', user };
    } catch (err) {
      // A concurrent first sign-in of the same account (user_id) or email won the insert: start over,
      // once: the winner is found then. A user_id held by a user the lookups cannot find (a stored
      // document insole would not write) would otherwise loop until the request timed out.
      if (isDuplicateKeyError(err) && !again) return complete(profile, sealed, ctx, true);
      throw err;
    }
  }

  return {
    complete,
    link,
    async recordFailure(connection: string, reason: string, ctx: RequestContext): Promise<void> {
      await logs.record({ type: 'f', ...ctx, connection, strategy: connection, strategy_type: 'social', details: { error: reason } });
    },
  };
}
