import { createHash } from 'node:crypto';
import { FakeFullContact, fullContactPerson } from '../fakes/fake-fullcontact.ts';
import { FakeXApi } from '../fakes/fake-x-api.ts';
import type { Answer, Call } from '../fakes/fake-json-api.ts';

/**
 * FullContact and X as the fault suite needs them: they know a deterministic share of the
 * shoppers, can be switched to answer 503 or to hang, and count their *effects* — answers that
 * were actually sent (a 200 or 404 from FullContact, a 200 from X) — per shopper, which is what
 * "each API effect once per user" means to the store paying for the calls.
 */
export type ApiFault = 'none' | '503' | 'hang';

/** Longer than any client timeout: the client gives up first, and the answer is never sent. */
const HANG_MS = 10 * 60_000;

const bucket = (text: string) => createHash('sha256').update(text).digest()[0]!;

interface Effects {
  fault: ApiFault;
  /** Effects per key (email or handle), counted when the answer went out. */
  readonly effects: Map<string, number>;
}

function counted<T extends { calls: Call[] }>(fake: T & Effects, keyOf: (call: Call) => string | undefined, answer: Answer, call: Call): Answer {
  if (fake.fault === '503') return { status: 503, body: { status: 503, message: 'Service Unavailable' } };
  if (fake.fault === 'hang') return { ...answer, delayMs: HANG_MS };
  const key = keyOf(call);
  // The fake sets `answered` as it writes the answer: count then, so an answer no client got is not an effect.
  if (key) {
    let answered = call.answered;
    Object.defineProperty(call, 'answered', {
      get: () => answered,
      set: (value: boolean) => { if (value && !answered) fake.effects.set(key, (fake.effects.get(key) ?? 0) + 1); answered = value; },
    });
  }
  return answer;
}

export class SuiteFullContact extends FakeFullContact implements Effects {
  fault: ApiFault = 'none';
  readonly effects = new Map<string, number>();

  /** Two thirds of shoppers are known to FullContact; half of those have an X handle there. */
  static handleFor(email: string): string | undefined {
    const b = bucket(email);
    if (b % 3 === 0) return undefined;
    return b % 2 === 0 ? `fc_${createHash('sha256').update(email).digest('hex').slice(0, 10)}` : undefined;
  }

  static knows(email: string): boolean { return bucket(email) % 3 !== 0; }

  protected override answer(call: Call): Answer {
    const email = (call.body as { email?: string } | undefined)?.email;
    if (email && SuiteFullContact.knows(email) && !this.people.has(email.toLowerCase())) {
      this.know(email, fullContactPerson({ email, twitter: SuiteFullContact.handleFor(email) }));
    }
    return counted(this, () => email?.toLowerCase(), super.answer(call), call);
  }
}

export class SuiteXApi extends FakeXApi implements Effects {
  fault: ApiFault = 'none';
  readonly effects = new Map<string, number>();

  protected override answer(call: Call): Answer {
    const handle = /(?:^|\s)from:(\w+)/.exec(call.query.get('query') ?? '')?.[1]?.toLowerCase();
    if (handle && !this.timelines.has(handle)) {
      this.tweet(handle, bucket(handle) % 2 ? '@InnovaShoes love the new trail runners, great grip' : '@InnovaShoes laces broke after a week, disappointed');
    }
    return counted(this, () => handle, super.answer(call), call);
  }
}

export async function startSuiteApis() {
  const fullcontact = await new SuiteFullContact('fc-faults-key').listen();
  const x = await new SuiteXApi('x-faults-bearer').listen();
  return { fullcontact, x };
}
