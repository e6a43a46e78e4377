import { bearerOf, FakeJsonApi, type Answer, type Call } from './fake-json-api.ts';

/**
 * FullContact's Person Enrich API v3 on loopback: `POST /v3/person.enrich` with a bearer API key
 * and `{ email }`. Known people answer 200 with a v3-shaped profile; anyone else 404.
 */
export class FakeFullContact extends FakeJsonApi {
  readonly apiKey: string;
  readonly people = new Map<string, Record<string, unknown>>();

  constructor(apiKey: string) {
    super();
    this.apiKey = apiKey;
  }

  /** Makes FullContact know this person (see fullContactPerson for the shape). */
  know(email: string, person: Record<string, unknown> = fullContactPerson({ email })): Record<string, unknown> {
    this.people.set(email.toLowerCase(), person);
    return person;
  }

  enrichCalls(): Call[] {
    return this.callsTo('/v3/person.enrich');
  }

  protected answer(call: Call): Answer {
    if (call.method !== 'POST' || call.path !== '/v3/person.enrich') return { status: 404, body: { status: 404, message: 'Not found' } };
    if (bearerOf(call) !== this.apiKey) return { status: 401, body: { status: 401, message: 'Invalid API key' } };
    const email = (call.body as { email?: unknown } | undefined)?.email;
    if (typeof email !== 'string') return { status: 400, body: { status: 400, message: 'Invalid request: an identifier is required' } };
    const person = this.people.get(email.toLowerCase());
    return person ? { status: 200, body: person } : { status: 404, body: { status: 404, message: 'Profile not found' } };
  }
}

/** `pathPrefix`: served under that path, as behind an API gateway. */
export async function startFakeFullContact(apiKey = 'fc-test-key', pathPrefix = ''): Promise<FakeFullContact> {
  return new FakeFullContact(apiKey).listen(pathPrefix);
}

export interface PersonOptions {
  email: string;
  fullName?: string;
  gender?: string;
  ageRange?: string;
  twitter?: string;
  interests?: { name: string; affinity?: string; category?: string }[];
  city?: string;
}

/** A Person Enrich v3 answer as FullContact documents it (top-level summary plus `details`). */
export function fullContactPerson({ email, fullName = 'Sam Trails', gender = 'Male', ageRange = '30-39', twitter, interests, city = 'Boulder' }: PersonOptions) {
  const [given, family] = fullName.split(' ');
  return {
    fullName, ageRange, gender,
    location: `${city}, Colorado, United States`,
    title: 'Trail Coach', organization: 'Mountain Runners',
    twitter: twitter ? `https://twitter.com/${twitter}` : null,
    linkedin: 'https://www.linkedin.com/in/samtrails',
    bio: 'Ultra runner. Coffee. Mountains.',
    avatar: 'https://img.fullcontact.com/static/sam.png',
    website: 'https://samtrails.example',
    details: {
      name: { given, family, full: fullName },
      age: { range: ageRange, value: Number(ageRange.split('-')[0]) + 4 },
      gender,
      emails: [{ label: 'personal', value: email }],
      phones: [],
      profiles: {
        ...(twitter ? { twitter: { username: twitter, url: `https://twitter.com/${twitter}`, service: 'twitter', followers: 812 } } : {}),
        linkedin: { url: 'https://www.linkedin.com/in/samtrails', service: 'linkedin', username: 'samtrails' },
      },
      locations: [{ city, region: 'Colorado', regionCode: 'CO', country: 'United States', countryCode: 'US', formatted: `${city}, Colorado, United States` }],
      employment: [{ name: 'Mountain Runners', current: true, title: 'Trail Coach' }],
      interests: interests ?? [
        { name: 'Running', id: '121', affinity: 'HIGH', parentIds: ['7'], category: 'Fitness' },
        { name: 'Coffee', id: '33', affinity: 'MEDIUM', parentIds: ['2'], category: 'Food & Drink' },
      ],
    },
    updated: '2024-05-01',
  };
}
