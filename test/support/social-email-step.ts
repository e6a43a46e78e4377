import { signInForTokens } from './relying-party.ts';
import type { SocialWorld } from './social.ts';
import { decode, freshTwitter, read, socialTrip, submit, usersOf, type Page, type Trip } from './social-steps.ts';

/**
 * The email step of an X sign-in without email, driven as a shopper's browser does: the address
 * typed, the page that answers, and what that page shows with the shopper's own values taken out,
 * so the answers for an address with an account and one without can be compared whole. `world`:
 * the suite's, started in its `before`.
 */
export function emailStepDriver(world: () => SocialWorld) {
  let serial = 0;
  const password = 'heel toe heel toe marathon';
  const sinceLastMail = async (trip: Trip, seconds: number): Promise<void> => {
    await world().insole.db.collection('social_handshakes').updateMany({ uid: trip.uid, kind: 'pending_email' }, { $set: { 'data.sent_at': new Date(Date.now() - seconds * 1000) } });
  };

  return {
    password,
    CONFIRM: /^Confirm your email for /,
    CONNECT: /^Connect X \(Twitter\) to your .* account\?$/,
    newEmail: (name: string) => `${name}.${Date.now()}${++serial}@example.com`,
    linkPrefix: (trip: Trip) => `${world().insole.issuer}/interaction/${trip.uid}/email-link?ticket=`,

    async connectionsOf(user_id: string): Promise<string[]> {
      return ((await usersOf(world().insole).findOne({ user_id }))?.identities ?? []).map((i: { connection: string }) => i.connection);
    },

    async passwordAccount(email: string): Promise<string> {
      return (await signInForTokens(world().insole.issuer, { email, password }, 'signup')).tokens.claims()!.sub;
    },

    /** A fresh X account without email signs in, and types `email` on the email step. */
    async typeAddress(email: string): Promise<{ trip: Trip; answer: Page; x: { id_str: string } }> {
      const x = freshTwitter(world(), { email: undefined });
      const trip = await socialTrip(world().insole, 'twitter');
      const form = read.form(trip.landing.html, /\/social\/[^/]+\/email$/);
      return { trip, x, answer: await submit(trip.agent, form.action, { email, _csrf: form.csrf }, world().insole) };
    },

    /** What a page shows, with what is the shopper's own (the address typed, the sign-in's uid, its records' random ids) taken out. */
    shown(page: Page, trip: Trip, email: string) {
      const strip = (s: string) => s.split(email).join('<email>').split(trip.uid).join('<uid>').replace(/\/[\w-]{32}(?=\/|$)/g, '/<id>');
      const text = decode(page.html.replace(/<[^>]+>/g, ' ').replace(/\s+/g, ' ')).trim();
      const links = [...page.html.matchAll(/href="([^"]+)"/g)].map((m) => strip(decode(m[1]!)));
      return { status: page.status, left: page.left, path: strip(new URL(page.url).pathname).replace(/[^/]+$/, '<handle>'), text: strip(text), links };
    },

    /** `seconds` pass since the step last mailed. */
    sinceLastMail,

    /** The wait (connections.email_step.send_again_after_seconds) passes since the step last mailed: "Send again" may mail again. */
    sendAgainDue: (trip: Trip) => sinceLastMail(trip, world().insole.config.connections.email_step.send_again_after_seconds + 1),

    /** The 15 minutes of the step's records (the link's, the page's) pass; the sign-in (an hour) lives on. */
    async ageStep(trip: Trip): Promise<void> {
      await world().insole.db.collection('social_handshakes').updateMany({ uid: trip.uid }, { $set: { expiresAt: new Date(Date.now() - 1000) } });
    },
  };
}
