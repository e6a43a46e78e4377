// First: wraps @node-rs/argon2's verify before src/ binds to it (see the file).
import { argon2VerificationsDuring } from './support/argon2-spy.ts';
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { hash as argon2Hash, verify as argon2Verify } from '@node-rs/argon2';
import bcrypt from 'bcryptjs';
import { Types } from 'mongoose';
import { AppError } from '../src/errors/app-error.ts';
import { createPasswordHasher } from '../src/users/password-hasher.ts';
import { checkPasswordPolicy } from '../src/users/password-policy.ts';
import { startTestInsole, testDatabaseUri, type TestInsole } from './support/insole.ts';
import { buildAuthorization, discoverStorefront } from './support/relying-party.ts';
import { startInbox, type Inbox } from './support/smtp.ts';
import { interactionUidOf, readForm, UserAgent } from './support/user-agent.ts';

/**
 * STANDARDS "Passwords": Argon2id m=19 MiB t=2 p=1, stronger settings re-hash at login, imported
 * bcrypt verifies and is upgraded; length 8–128 code points, no composition rules, common passwords
 * refused, never truncated, NFKC before hashing.
 */

const SETTINGS = { memory_cost_kib: 19456, time_cost: 2, parallelism: 1 };
const POLICY = { min_length: 8, max_length: 128 };
const CURRENT_HASH = /^\$argon2id\$v=19\$m=19456,t=2,p=1\$[A-Za-z0-9+/]+\$[A-Za-z0-9+/]+$/;
const EMOJI = '👟'; // one code point, two UTF-16 units, four UTF-8 bytes

interface Outcome { status: number; left?: string; html: string; uid: string }

/** Opens the hosted page of a fresh authorization in a new browser and submits its form once. */
async function submitCredentials(insole: TestInsole, screen: 'login' | 'signup', email: string, password: string): Promise<Outcome> {
  const agent = new UserAgent(insole.issuer);
  const config = await discoverStorefront(insole.issuer);
  const first = await agent.get((await buildAuthorization(config)).url);
  let html = await first.res.text();
  const uid = interactionUidOf(html)!;
  if (screen === 'signup') html = await (await agent.get(`${insole.issuer}/interaction/${uid}/signup`)).res.text();
  const form = readForm(html);
  assert.match(form.action, new RegExp(`/${screen}$`));
  const res = await agent.postForm(new URL(form.action, insole.issuer).href, { email, password, _csrf: form.csrf });
  return { status: res.res.status, left: res.left, html: res.left ? '' : await res.res.text(), uid };
}

const alert = (html: string) => /role="alert"[^>]*>([^<]*)</.exec(html)?.[1]?.trim();

function policyError(password: string): string | undefined {
  try {
    checkPasswordPolicy(password, POLICY);
    return undefined;
  } catch (err) {
    assert.ok(err instanceof AppError, `unexpected error ${String(err)}`);
    assert.equal(err.status, 400);
    return err.code;
  }
}

describe('password policy (NIST SP 800-63B-4)', () => {
  test('length is 8–128 code points (emoji count once, not as two UTF-16 units)', () => {
    assert.equal(policyError(EMOJI.repeat(7)), 'password_too_short', '7 code points (14 UTF-16 units) are too short');
    assert.equal(policyError(EMOJI.repeat(8)), undefined);
    assert.equal(policyError(EMOJI.repeat(128)), undefined, '128 code points (256 UTF-16 units) are allowed');
    assert.equal(policyError(EMOJI.repeat(129)), 'password_too_long');
    assert.equal(policyError('abcdefg'), 'password_too_short');
    assert.equal(policyError('q'.repeat(7) + 'z'), undefined);
  });

  test('no composition rules: a long all-lowercase passphrase is fine', () => {
    assert.equal(policyError('walking along the river bank'), undefined);
    assert.equal(policyError('onlylowercaseletters'), undefined);
  });

  test('common passwords are refused whatever their case', () => {
    for (const common of ['password123', 'Password123', 'PASSWORD123', 'iloveyou', 'IloveYou', 'Baseball', 'qwertyuiop', 'Trustno1']) {
      assert.equal(policyError(common), 'password_too_common', common);
    }
  });

  test('the common-password check sees the NFKC form (fullwidth "Ｐａｓｓｗｏｒｄ１２３")', () => {
    assert.equal(policyError('Ｐａｓｓｗｏｒｄ１２３'), 'password_too_common');
  });
});

describe('password hashing (OWASP Password Storage)', () => {
  const hasher = createPasswordHasher(SETTINGS);

  test('new hashes are Argon2id with m=19456, t=2, p=1 and carry their parameters', async () => {
    const stored = await hasher.hash('walking along the river bank');
    assert.match(stored, CURRENT_HASH);
    assert.equal(await hasher.verify(stored, 'walking along the river bank'), true);
    assert.equal(await hasher.verify(stored, 'walking along the river banK'), false);
  });

  test('an unknown user (no stored hash) never verifies, yet an Argon2id verification of the same cost is done', async () => {
    const seen = await argon2VerificationsDuring(async () => {
      assert.equal(await hasher.verify(undefined, 'anything at all'), false);
      // Not even the dummy hash's own password gets through.
      assert.equal(await hasher.verify(undefined, 'insole-dummy-password-for-timing'), false);
    });
    assert.equal(seen.length, 2, 'one Argon2 verification per call');
    for (const v of seen) assert.match(v.hash, CURRENT_HASH, 'against a hash with the configured parameters');
  });

  test('imported bcrypt hashes verify against the password as typed (Auth0 hashed it without NFKC)', async () => {
    const typed = 'ｆｕｌｌｗｉｄｔｈ　ａｔ　Ａｕｔｈ０';
    const imported = bcrypt.hashSync(typed, 4);
    assert.equal(await hasher.verify(imported, typed), true);
    assert.equal(await hasher.verify(imported, 'ｆｕｌｌｗｉｄｔｈ　ａｔ　Ａｕｔｈ1'), false);
  });

  test('needsRehash: weaker Argon2id in any parameter, other Argon2 variants and bcrypt are replaced; equal or stronger are kept', async () => {
    const params = (m: number, t: number, p: number, algorithm: 0 | 1 | 2 = 2) => argon2Hash('x', { memoryCost: m, timeCost: t, parallelism: p, algorithm });
    assert.equal(hasher.needsRehash(await params(19456, 2, 1)), false);
    assert.equal(hasher.needsRehash(await params(65536, 3, 1)), false);
    assert.equal(hasher.needsRehash(await params(8192, 2, 1)), true);
    assert.equal(hasher.needsRehash(await params(19456, 1, 1)), true);
    assert.equal(hasher.needsRehash(await params(9728, 2, 2)), true, 'a higher p does not make up for less memory');
    assert.equal(hasher.needsRehash(await params(19456, 2, 1, 1)), true, 'Argon2i');
    assert.equal(hasher.needsRehash(await params(19456, 2, 1, 0)), true, 'Argon2d');
    assert.equal(hasher.needsRehash(bcrypt.hashSync('x', 4)), true);
    const stronger = createPasswordHasher({ ...SETTINGS, parallelism: 2 });
    assert.equal(stronger.needsRehash(await params(19456, 2, 1)), true, 'a stronger setting re-hashes');
  });
});

describe('passwords through the hosted pages', () => {
  let insole: TestInsole;
  let inbox: Inbox;
  const users = () => insole.db.collection('users');
  const storedHash = async (email: string) => (await users().findOne({ email }))?.password_hash as string | undefined;

  before(async () => {
    inbox = await startInbox();
    insole = await startTestInsole({
      mail: { smtp_url: inbox.url },
      // Many sign-ups and failures from one IP in this file; attack protection is tested elsewhere.
      attack_protection: { brute_force: { enabled: false }, suspicious_ip: { enabled: false } },
    });
  });
  after(async () => { await insole.stop(); await inbox.close(); });

  async function signUp(email: string, password: string) {
    const outcome = await submitCredentials(insole, 'signup', email, password);
    assert.ok(outcome.left, `sign-up failed (HTTP ${outcome.status}): ${alert(outcome.html)}`);
  }

  test('sign-up enforces 8–128 code points; refused passwords create nobody', async () => {
    const cases = [
      { email: 'seven@innovashoes.example', password: EMOJI.repeat(7), ok: false, message: /at least 8 characters/ },
      { email: 'eight@innovashoes.example', password: EMOJI.repeat(8), ok: true },
      { email: 'max@innovashoes.example', password: EMOJI.repeat(128), ok: true },
      { email: 'over@innovashoes.example', password: EMOJI.repeat(129), ok: false, message: /at most 128 characters/ },
    ];
    for (const c of cases) {
      const outcome = await submitCredentials(insole, 'signup', c.email, c.password);
      if (c.ok) {
        assert.ok(outcome.left, `${c.email}: ${alert(outcome.html)}`);
        assert.match((await storedHash(c.email))!, CURRENT_HASH);
      } else {
        assert.equal(outcome.status, 400, c.email);
        assert.match(alert(outcome.html) ?? '', c.message!);
        assert.equal(await users().countDocuments({ email: c.email }), 0);
      }
    }
    // The accepted ones sign in with exactly what they typed.
    assert.ok((await submitCredentials(insole, 'login', 'max@innovashoes.example', EMOJI.repeat(128))).left);
    assert.equal((await submitCredentials(insole, 'login', 'max@innovashoes.example', EMOJI.repeat(127))).status, 401);
  });

  test('sign-up: no composition rules, but common passwords are refused in any case', async () => {
    await signUp('lowercase@innovashoes.example', 'walking along the river bank');
    for (const [email, password] of [['common1@innovashoes.example', 'Password123'], ['common2@innovashoes.example', 'ILOVEYOU']]) {
      const outcome = await submitCredentials(insole, 'signup', email, password);
      assert.equal(outcome.status, 400);
      assert.match(alert(outcome.html) ?? '', /too common/);
      assert.equal(await users().countDocuments({ email }), 0);
    }
  });

  test('NFKC: a password typed in fullwidth letters is the same password as its ASCII form, both ways', async () => {
    const ascii = 'my long password';
    const fullwidth = 'ｍｙ　ｌｏｎｇ　ｐａｓｓｗｏｒｄ'; // fullwidth letters and ideographic spaces
    assert.notEqual(fullwidth, ascii);
    assert.equal(fullwidth.normalize('NFKC'), ascii);

    await signUp('ascii.first@innovashoes.example', ascii);
    assert.ok((await submitCredentials(insole, 'login', 'ascii.first@innovashoes.example', fullwidth)).left, 'fullwidth signs in to an ASCII account');
    await signUp('fullwidth.first@innovashoes.example', fullwidth);
    assert.ok((await submitCredentials(insole, 'login', 'fullwidth.first@innovashoes.example', ascii)).left, 'ASCII signs in to a fullwidth account');
    // Normalised before hashing: the stored hash is the hash of the NFKC form.
    assert.equal(await argon2Verify((await storedHash('fullwidth.first@innovashoes.example'))!, ascii), true);
    assert.equal((await submitCredentials(insole, 'login', 'fullwidth.first@innovashoes.example', 'my long passwore')).status, 401);
  });

  test('never truncated: long passwords that differ only in their last character are different passwords', async () => {
    for (const [email, right, wrong] of [
      ['long.ascii@innovashoes.example', `${'r'.repeat(119)}1`, `${'r'.repeat(119)}2`], // 120 characters
      ['long.emoji@innovashoes.example', `${EMOJI.repeat(127)}1`, `${EMOJI.repeat(127)}2`], // 128 code points, 510 bytes
    ]) {
      await signUp(email, right);
      const wrongAttempt = await submitCredentials(insole, 'login', email, wrong);
      assert.equal(wrongAttempt.status, 401, `${email}: the wrong last character is refused`);
      assert.equal(wrongAttempt.left, undefined);
      assert.ok((await submitCredentials(insole, 'login', email, right)).left, `${email}: the right one signs in`);
    }
  });

  test('a hash with weaker Argon2 parameters signs in and is replaced by the current setting', async () => {
    const email = 'old.params@innovashoes.example';
    const password = 'hashed long ago with less memory';
    await signUp(email, password);
    const weak = await argon2Hash(password, { memoryCost: 8192, timeCost: 2, parallelism: 1, algorithm: 2 });
    assert.match(weak, /^\$argon2id\$v=19\$m=8192,t=2,p=1\$/);
    await users().updateOne({ email }, { $set: { password_hash: weak } });

    // A wrong password does not touch it.
    assert.equal((await submitCredentials(insole, 'login', email, 'not the password at all')).status, 401);
    assert.equal(await storedHash(email), weak);

    assert.ok((await submitCredentials(insole, 'login', email, password)).left);
    const upgraded = (await storedHash(email))!;
    assert.match(upgraded, CURRENT_HASH);
    assert.equal(await argon2Verify(upgraded, password), true);
    // And the new hash works for the next sign-in, and is left alone then.
    assert.ok((await submitCredentials(insole, 'login', email, password)).left);
    assert.equal(await storedHash(email), upgraded);
  });

  test('an imported bcrypt hash (Auth0 export) verifies, is upgraded to Argon2id, and a wrong password still fails', async () => {
    // The shape of a user insole made itself, with an Auth0-exported bcrypt hash instead.
    await signUp('template@innovashoes.example', 'template user password');
    const template = (await users().findOne({ email: 'template@innovashoes.example' }))!;
    const email = 'from.auth0@innovashoes.example';
    const password = 'Imported From Auth0';
    const bcryptHash = bcrypt.hashSync(password, 10);
    const id = new Types.ObjectId().toHexString();
    const { _id, ...shape } = template;
    await users().insertOne({
      ...shape, user_id: `auth0|${id}`, email, name: email, nickname: 'from.auth0', logins_count: 7,
      identities: [{ ...template.identities[0], user_id: id }], password_hash: bcryptHash,
    });

    const wrong = await submitCredentials(insole, 'login', email, 'imported from auth0'); // case matters
    assert.equal(wrong.status, 401);
    assert.match(alert(wrong.html) ?? '', /Wrong email or password/);
    assert.equal(await storedHash(email), bcryptHash, 'a failed sign-in leaves the hash alone');

    assert.ok((await submitCredentials(insole, 'login', email, password)).left, 'the bcrypt hash verifies');
    const upgraded = (await storedHash(email))!;
    assert.match(upgraded, CURRENT_HASH, 'replaced by Argon2id at that sign-in');
    assert.equal(await argon2Verify(upgraded, password), true);
    assert.equal((await users().findOne({ email }))!.logins_count, 8);

    assert.ok((await submitCredentials(insole, 'login', email, password)).left, 'and it keeps working as Argon2id');
    assert.equal((await submitCredentials(insole, 'login', email, 'imported from auth0')).status, 401);
  });

  test('an unknown email and a wrong password get the same page, and both cost one Argon2id verification', async () => {
    const email = 'exists@innovashoes.example';
    await signUp(email, 'the real password is long');
    const stored = (await storedHash(email))!;

    let wrong!: Outcome;
    let unknown!: Outcome;
    const wrongWork = await argon2VerificationsDuring(async () => { wrong = await submitCredentials(insole, 'login', email, 'a wrong password here'); });
    const unknownWork = await argon2VerificationsDuring(async () => { unknown = await submitCredentials(insole, 'login', 'nobody.home@innovashoes.example', 'a wrong password here'); });

    assert.equal(wrong.status, 401);
    assert.equal(unknown.status, wrong.status);
    const normalise = (o: Outcome, typed: string) => o.html
      .replaceAll(o.uid, 'UID')
      .replace(/name="_csrf" value="[^"]+"/, 'name="_csrf" value="CSRF"')
      .replace(`value="${typed}"`, 'value="EMAIL"');
    assert.equal(normalise(unknown, 'nobody.home@innovashoes.example'), normalise(wrong, email), 'the same page apart from the token, the interaction and the echoed email');
    assert.equal(alert(unknown.html), 'Wrong email or password.');

    assert.deepEqual(wrongWork.map((v) => [v.hash, v.result]), [[stored, false]], 'the wrong password: one verification against the stored hash');
    assert.equal(unknownWork.length, 1, 'the unknown email: one verification too');
    assert.match(unknownWork[0].hash, CURRENT_HASH, 'against a dummy hash with the same parameters');
    assert.notEqual(unknownWork[0].hash, stored);
  });

  test('a password reset applies the same policy and stores a current Argon2id hash', async () => {
    const email = 'resetting@innovashoes.example';
    await signUp(email, 'the password before reset');
    const agent = new UserAgent(insole.issuer);
    const { csrf } = readForm(await (await agent.get(`${insole.issuer}/password/reset`)).res.text());
    await agent.postForm(`${insole.issuer}/password/reset`, { email, _csrf: csrf });
    const link = inbox.linkIn(await inbox.waitFor(email, /Reset your/), `${insole.issuer}/password/reset/new?ticket=`);

    const submit = async (password: string) => {
      const page = await agent.get(link);
      const html = await page.res.text();
      const ticket = /name="ticket" value="([^"]+)"/.exec(html)![1];
      const res = await agent.postForm(`${insole.issuer}/password/reset/new`, { ticket, password, _csrf: readForm(html).csrf });
      return { status: res.res.status, html: await res.res.text() };
    };
    const before = await storedHash(email);
    for (const [password, message] of [[EMOJI.repeat(7), /at least 8/], [EMOJI.repeat(129), /at most 128/], ['PASSWORD123', /too common/]] as const) {
      const refused = await submit(password);
      assert.equal(refused.status, 400);
      assert.match(alert(refused.html) ?? '', message);
      assert.equal(await storedHash(email), before);
    }
    const done = await submit('ｎｅｗ　ｐａｓｓｗｏｒｄ　ｆｏｒ　ｎｏｗ');
    assert.equal(done.status, 200);
    const after = (await storedHash(email))!;
    assert.match(after, CURRENT_HASH);
    assert.equal(await argon2Verify(after, 'new password for now'), true, 'NFKC before hashing');
    assert.ok((await submitCredentials(insole, 'login', email, 'new password for now')).left);
  });
});

describe('a sign-in that re-hashes while a password reset lands', () => {
  let insole: TestInsole;
  before(async () => {
    const monitored = new URL(testDatabaseUri());
    monitored.searchParams.set('monitorCommands', 'true'); // to write the reset's hash just after the sign-in read the user
    // A slow hash (still the real Argon2id) leaves the reset time to land before the re-hash is written.
    insole = await startTestInsole({ argon2: { memory_cost_kib: 65536, time_cost: 8, parallelism: 1 } }, monitored.href);
  });
  after(async () => { await insole.stop(); });

  test('keeps the reset\'s password: the re-hash is written only over the hash it verified', async () => {
    const email = 'rehash.race@innovashoes.example';
    const password = 'the old password the attacker knows';
    assert.ok((await submitCredentials(insole, 'signup', email, password)).left);
    const users = insole.db.collection('users');
    const weak = await argon2Hash(password, { memoryCost: 8192, timeCost: 1, parallelism: 1, algorithm: 2 }); // re-hashed at the next sign-in
    await users.updateOne({ email }, { $set: { password_hash: weak } });
    const reset = bcrypt.hashSync('the owner reset it meanwhile', 4); // any hash other than the verified one

    const started = new Map<number, string>();
    let moved: Promise<unknown> | undefined;
    const client = insole.connection.getClient();
    const onStarted = (event: { requestId: number; commandName: string; command: Record<string, unknown> }) => {
      started.set(event.requestId, `${event.commandName}:${String(event.command[event.commandName])}`);
    };
    const onSucceeded = (event: { requestId: number }) => {
      // The sign-in read the user: the weak hash verifies in a few ms, the 64 MiB t = 8 re-hash takes far longer.
      if (started.get(event.requestId) === 'find:users') setTimeout(() => { moved ??= users.updateOne({ email }, { $set: { password_hash: reset } }); }, 30);
    };
    client.on('commandStarted', onStarted).on('commandSucceeded', onSucceeded);
    try {
      assert.ok((await submitCredentials(insole, 'login', email, password)).left, 'the password was right when it was checked');
    } finally {
      client.off('commandStarted', onStarted).off('commandSucceeded', onSucceeded);
    }
    assert.ok(moved, 'the reset landed during the sign-in');
    await moved;
    assert.equal((await users.findOne({ email }))!.password_hash, reset, 'the reset\'s hash, not the re-hash of the old password');
  });
});
