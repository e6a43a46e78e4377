import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, test } from 'node:test';
import { emailStepDriver } from './support/social-email-step.ts';
import { startInbox, type Inbox } from './support/smtp.ts';
import { startSocialWorld, type SocialWorld } from './support/social.ts';
import { follow, healAll, read, type Page, type Trip } from './support/social-steps.ts';

/**
 * The email step of an X sign-in without email (social-email-step.test.ts) when the shopper needs a
 * way on: the step expired. Every answer stays the same whether or not the address has an account
 * (STANDARDS: no account enumeration).
 */
describe('the email step of a social sign-in, expired', () => {
  let inbox: Inbox;
  let world: SocialWorld;
  before(async () => {
    inbox = await startInbox();
    world = await startSocialWorld({ mail: { smtp_url: inbox.url } });
  });
  after(async () => { await world.close(); await inbox.close(); });
  beforeEach(() => healAll(world));

  const { CONFIRM, CONNECT, newEmail, linkPrefix, passwordAccount, typeAddress, shown, ageStep } = emailStepDriver(() => world);

  function assertStepExpired(page: Page, trip: Trip): void {
    assert.equal(page.status, 400);
    assert.equal(read.h1(page.html), 'This step has expired');
    assert.doesNotMatch(page.html, /creating your account|Check your inbox/, 'not the sign-up\'s wording');
    assert.equal(read.link(page.html, /^sign in again$/), `/interaction/${trip.uid}`);
    assert.equal(read.link(page.html, /^go back to the store$/), `/interaction/${trip.uid}/abort`);
  }

  test('15 minutes on, "Check your inbox" reloaded and the mailed link both say the step expired, the same for an address with an account', async () => {
    const owned = newEmail('expired.owned');
    await passwordAccount(owned);
    const fresh = newEmail('expired.new');
    const withAccount = await typeAddress(owned);
    const without = await typeAddress(fresh);
    const links = [
      inbox.linkIn(await inbox.waitFor(owned, CONNECT), linkPrefix(withAccount.trip)),
      inbox.linkIn(await inbox.waitFor(fresh, CONFIRM), linkPrefix(without.trip)),
    ];
    await ageStep(withAccount.trip);
    await ageStep(without.trip);

    const reloads = [await follow(withAccount.trip.agent, withAccount.answer.url, world.insole), await follow(without.trip.agent, without.answer.url, world.insole)];
    assertStepExpired(reloads[0]!, withAccount.trip);
    assertStepExpired(reloads[1]!, without.trip);
    assert.deepEqual(shown(reloads[0]!, withAccount.trip, owned), shown(reloads[1]!, without.trip, fresh));

    const opened = await follow(withAccount.trip.agent, links[0]!, world.insole);
    assertStepExpired(opened, withAccount.trip);
    assertStepExpired(await follow(without.trip.agent, links[1]!, world.insole), without.trip);
    assert.equal(opened.left, undefined, 'the expired link signs nobody in');
  });

  test('from the expired step: "sign in again" is the sign-in page of the same sign-in, "go back to the store" returns access_denied', async () => {
    const { trip, answer } = await typeAddress(newEmail('expired.restart'));
    await ageStep(trip);
    const expired = await follow(trip.agent, answer.url, world.insole);

    const again = await follow(trip.agent, read.link(expired.html, /^sign in again$/), world.insole);
    assert.equal(again.status, 200);
    assert.equal(read.h1(again.html), 'Sign in');
    assert.ok(read.link(again.html, /Continue with X/), 'X can be asked again');

    const back = await follow(trip.agent, read.link(expired.html, /^go back to the store$/), world.insole);
    assert.equal(new URL(back.left!).searchParams.get('error'), 'access_denied');
    assert.deepEqual(trip.agent.serverErrors(), []);
  });
});
