import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, test } from 'node:test';
import { emailStepDriver } from './support/social-email-step.ts';
import { startInbox, type Inbox } from './support/smtp.ts';
import { startSocialWorld, type SocialWorld } from './support/social.ts';
import { follow, healAll, logsSince, read, storefrontTokens, submit, usersOf, type Page, type Trip } from './support/social-steps.ts';

/**
 * The email step of an X sign-in without email (social-email-step.test.ts) when the shopper needs a
 * way on: a mistyped address, a mail that does not come, or the step expired. Every answer stays the same whether or not the address has an account
 * (STANDARDS: no account enumeration).
 */
describe('the email step of a social sign-in: another address, send again, an expired step', () => {
  let inbox: Inbox;
  let world: SocialWorld;
  before(async () => {
    inbox = await startInbox();
    world = await startSocialWorld({ mail: { smtp_url: inbox.url }, attack_protection: { account_mails: { max_per_address: 3 } } });
  });
  after(async () => { await world.close(); await inbox.close(); });
  beforeEach(() => healAll(world));

  const { CONFIRM, CONNECT, newEmail, linkPrefix, passwordAccount, typeAddress, shown, ageStep, sendAgainDue } = emailStepDriver(() => world);

  /** "Use another address" on "Check your inbox": the email step's form again, with the address typed. */
  async function useAnotherAddress(trip: Trip, answer: Page, typed: string): Promise<Page> {
    const form = await follow(trip.agent, read.link(answer.html, /^Use another address$/), world.insole);
    assert.equal(form.status, 200);
    assert.equal(read.h1(form.html), 'One more step');
    assert.equal(read.inputValue(form.html, 'email'), typed, 'the address typed, to correct');
    return form;
  }

  test('a mistyped address: "Use another address" goes back to the form of the same sign-in; the new address\'s link finishes it, the first link no longer does', async () => {
    const owned = newEmail('typo.owned');
    await passwordAccount(owned);
    const typo = newEmail('typo.new');
    const withAccount = await typeAddress(owned);
    const without = await typeAddress(typo);
    const firstLinks = [
      inbox.linkIn(await inbox.waitFor(owned, CONNECT), linkPrefix(withAccount.trip)),
      inbox.linkIn(await inbox.waitFor(typo, CONFIRM), linkPrefix(without.trip)),
    ];
    const forms = [await useAnotherAddress(withAccount.trip, withAccount.answer, owned), await useAnotherAddress(without.trip, without.answer, typo)];
    assert.deepEqual(shown(forms[0]!, withAccount.trip, owned), shown(forms[1]!, without.trip, typo), 'the same form whether or not the address has an account');

    for (const [i, { trip, x }] of [withAccount, without].entries()) {
      const users = await usersOf(world.insole).countDocuments();
      const right = newEmail(`typo.fixed${i}`);
      const form = read.form(forms[i]!.html, /\/social\/[^/]+\/email$/);
      const answer = await submit(trip.agent, form.action, { email: right, _csrf: form.csrf }, world.insole);
      assert.equal(read.h1(answer.html), 'Check your inbox');
      assert.ok(answer.html.includes(right));
      const link = inbox.linkIn(await inbox.waitFor(right, CONFIRM), linkPrefix(trip));

      assertStepExpired(await follow(trip.agent, firstLinks[i]!, world.insole), trip);
      assert.equal(await usersOf(world.insole).countDocuments(), users, 'the first link made nobody');
      const claims = (await storefrontTokens(trip, await follow(trip.agent, link, world.insole))).claims()!;
      assert.deepEqual([claims.sub, claims.email, claims.email_verified], [`twitter|${x.id_str}`, right, true]);
      assert.deepEqual(trip.agent.serverErrors(), []);
    }
  });

  /** "Send again" on "Check your inbox", a minute or more after the last mail unless `soon`. */
  async function sendAgain(trip: Trip, answer: Page, { soon = false } = {}): Promise<Page> {
    if (!soon) await sendAgainDue(trip);
    const form = read.form(answer.html, /\/email-sent\/[^/]+\/again$/);
    return submit(trip.agent, form.action, { _csrf: form.csrf }, world.insole);
  }
  /** "Send again" as the browser posts it: the page with its Retry-After. */
  async function sendAgainRaw(trip: Trip, answer: Page): Promise<Page & { retryAfter: string | null }> {
    const form = read.form(answer.html, /\/email-sent\/[^/]+\/again$/);
    const { res, url, left } = await trip.agent.postForm(new URL(form.action, world.insole.issuer).href, { _csrf: form.csrf });
    return { status: res.status, url, left, html: await res.text(), retryAfter: res.headers.get('retry-after') };
  }
  const mailsTo = (email: string, subject: RegExp) => inbox.mails.filter((m) => JSON.stringify(m.to).includes(email) && subject.test(m.subject ?? '')).length;

  test('"Send again" mails the link again, the same answer with or without an account, within the mail limit; the earlier link still works', async () => {
    const owned = newEmail('again.owned');
    await passwordAccount(owned);
    const fresh = newEmail('again.new');
    const since = new Date();
    const steps = [{ email: owned, subject: CONNECT, ...await typeAddress(owned) }, { email: fresh, subject: CONFIRM, ...await typeAddress(fresh) }];
    const links: string[][] = [[], []];
    for (const [i, step] of steps.entries()) {
      links[i]!.push(inbox.linkIn(await inbox.waitFor(step.email, step.subject), linkPrefix(step.trip)));
      const again = await sendAgain(step.trip, step.answer);
      assert.equal(again.status, 200);
      assert.match(again.html, /We sent the link again to <strong>/);
      links[i]!.push(inbox.linkIn(await inbox.waitForNth(step.email, step.subject, 2), linkPrefix(step.trip)));
      step.answer = again;
    }
    assert.deepEqual(shown(steps[0]!.answer, steps[0]!.trip, owned), shown(steps[1]!.answer, steps[1]!.trip, fresh));

    const forged = await submit(steps[1]!.trip.agent, read.form(steps[1]!.answer.html, /\/again$/).action, {}, world.insole);
    assert.equal(forged.status, 403, 'a post without the CSRF token mails nothing');

    // max_per_address: 3 — the fourth mail is refused, and the answer does not change.
    for (const step of steps) {
      const third = await sendAgain(step.trip, step.answer);
      await inbox.waitForNth(step.email, step.subject, 3);
      const fourth = await sendAgain(step.trip, third);
      assert.deepEqual(shown(fourth, step.trip, step.email), shown(third, step.trip, step.email));
    }
    const refused = (await logsSince(world.insole, since, { type: 'f' })).filter((l) => l.user_name === owned || l.user_name === fresh);
    assert.deepEqual(refused.map((l) => [l.user_name, l.details?.error]).sort(), [[fresh, 'too many mail requests for this email'], [owned, 'too many mail requests for this email']].sort());
    assert.deepEqual([mailsTo(owned, CONNECT), mailsTo(fresh, CONFIRM)], [3, 3], 'no fourth mail');

    // The first mail's link still works after "Send again".
    const offer = await follow(steps[0]!.trip.agent, links[0]![0]!, world.insole);
    assert.equal(read.notice(offer.html), `You already have an account with ${owned}. Sign in to it once to connect X (Twitter).`);
    const done = await follow(steps[1]!.trip.agent, links[1]![0]!, world.insole);
    assert.equal((await storefrontTokens(steps[1]!.trip, done)).claims()!.sub, `twitter|${steps[1]!.x.id_str}`);
    for (const step of steps) assert.deepEqual(step.trip.agent.serverErrors(), []);
  });

  test('"Send again" within a minute of the last mail sends nothing and shows the page again saying to wait (429), the same with or without an account; two clicks at once mail once', async () => {
    const owned = newEmail('soon.owned');
    await passwordAccount(owned);
    const fresh = newEmail('soon.new');
    const steps = [{ email: owned, subject: CONNECT, ...await typeAddress(owned) }, { email: fresh, subject: CONFIRM, ...await typeAddress(fresh) }];
    const linkRecords = (trip: Trip) => world.insole.db.collection('social_handshakes').countDocuments({ kind: 'emailed_link', uid: trip.uid });
    const soon: Page[] = [];
    for (const step of steps) {
      await inbox.waitFor(step.email, step.subject);
      const answer = await sendAgainRaw(step.trip, step.answer);
      assert.equal(answer.status, 429);
      assert.ok(Number(answer.retryAfter) >= 1 && Number(answer.retryAfter) <= 60, `Retry-After ${answer.retryAfter}`);
      assert.equal(read.h1(answer.html), 'Check your inbox');
      assert.equal(read.alert(answer.html), 'We sent the link less than a minute ago. Give it a minute to arrive, and look in your spam folder, before sending it again.');
      assert.equal(await linkRecords(step.trip), 1, 'no new link, so no mail');
      soon.push(answer);
    }
    assert.deepEqual(shown(soon[0]!, steps[0]!.trip, owned), shown(soon[1]!, steps[1]!.trip, fresh));

    // A minute on, the re-shown page's own button mails; of two clicks at once, one does.
    for (const [i, step] of steps.entries()) {
      await sendAgainDue(step.trip);
      const both = await Promise.all([sendAgain(step.trip, soon[i]!, { soon: true }), sendAgain(step.trip, soon[i]!, { soon: true })]);
      assert.deepEqual(both.map((page) => page.status).sort(), [200, 429]);
      assert.match(both.find((page) => page.status === 200)!.html, /We sent the link again to <strong>/);
      await inbox.waitForNth(step.email, step.subject, 2);
      assert.equal(await linkRecords(step.trip), 2);
      assert.deepEqual(step.trip.agent.serverErrors(), []);
    }
    assert.deepEqual([mailsTo(owned, CONNECT), mailsTo(fresh, CONFIRM)], [2, 2]);
  });

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

    // Its forms, posted now: the address form and "Send again".
    const emailForm = read.form(without.trip.landing.html, /\/social\/[^/]+\/email$/);
    assertStepExpired(await submit(without.trip.agent, emailForm.action, { email: fresh, _csrf: emailForm.csrf }, world.insole), without.trip);
    const sendAgain = read.form(without.answer.html, /\/again$/);
    assertStepExpired(await submit(without.trip.agent, sendAgain.action, { _csrf: sendAgain.csrf }, world.insole), without.trip);
    assert.equal(await world.insole.db.collection('social_handshakes').countDocuments({ uid: without.trip.uid, expiresAt: { $gt: new Date() } }), 0, 'nothing mailed, nothing kept');
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

describe('the email step\'s "Send again" wait is a setting (connections.email_step.send_again_after_seconds)', () => {
  const WAIT_SECONDS = 300;
  let inbox: Inbox;
  let world: SocialWorld;
  before(async () => {
    inbox = await startInbox();
    world = await startSocialWorld({ mail: { smtp_url: inbox.url }, connections: { email_step: { send_again_after_seconds: WAIT_SECONDS } } });
  });
  after(async () => { await world.close(); await inbox.close(); });

  const { CONFIRM, newEmail, typeAddress, sinceLastMail } = emailStepDriver(() => world);

  async function sendAgain(trip: Trip, page: Page): Promise<Page & { retryAfter: number }> {
    const form = read.form(page.html, /\/email-sent\/[^/]+\/again$/);
    const { res, url, left } = await trip.agent.postForm(new URL(form.action, world.insole.issuer).href, { _csrf: form.csrf });
    return { status: res.status, url, left, html: await res.text(), retryAfter: Number(res.headers.get('retry-after')) };
  }

  test('five minutes: "Send again" two minutes after the mail still waits (429, Retry-After the three minutes left, the page says five), and mails once they are over', async () => {
    const email = newEmail('wait.setting');
    const { trip, answer } = await typeAddress(email);
    await inbox.waitFor(email, CONFIRM);
    const links = () => world.insole.db.collection('social_handshakes').countDocuments({ kind: 'emailed_link', uid: trip.uid });

    const atOnce = await sendAgain(trip, answer);
    assert.equal(atOnce.status, 429);
    assert.ok(atOnce.retryAfter > WAIT_SECONDS - 30 && atOnce.retryAfter <= WAIT_SECONDS, `Retry-After ${atOnce.retryAfter}`);
    assert.equal(read.alert(atOnce.html), 'We sent the link less than 5 minutes ago. Give it 5 minutes to arrive, and look in your spam folder, before sending it again.');

    await sinceLastMail(trip, 120); // past the default minute, within the setting
    const later = await sendAgain(trip, atOnce);
    assert.equal(later.status, 429, 'two minutes on: still within the five');
    assert.ok(later.retryAfter > WAIT_SECONDS - 120 - 30 && later.retryAfter <= WAIT_SECONDS - 120, `Retry-After ${later.retryAfter}`);
    assert.equal(await links(), 1, 'no new link, so no mail');

    await sinceLastMail(trip, WAIT_SECONDS + 1);
    const due = await sendAgain(trip, later);
    assert.equal(due.status, 200, 'over: mailed');
    assert.match(due.html, /We sent the link again to <strong>/);
    await inbox.waitForNth(email, CONFIRM, 2);
    assert.equal(await links(), 2);
    assert.deepEqual(trip.agent.serverErrors(), []);
  });
});
