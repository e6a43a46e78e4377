import type { DateCondition, NumberRange, OneOrMany, SegmentFilter } from './segment-filter-schema.ts';

/**
 * A filter in words, for the dashboard and the CLI: `{ gender: 'male', age: { min: 20, max: 40 },
 * interests: 'fitness' }` → "men aged 20–40 interested in fitness". It reads the filter as
 * written (not normalised) and does not try to be clever with nesting: `all`/`any`/`not` come out
 * as parenthesised "and"/"or"/"not".
 */
export function describeSegmentFilter(filter: SegmentFilter): string {
  return describeNode(filter) || 'all users';
}

const list = <T>(value: OneOrMany<T>): T[] => (Array.isArray(value) ? value : [value]);
const either = (values: readonly (string | number)[], joiner = 'or') =>
  values.length <= 1 ? String(values[0] ?? '') : `${values.slice(0, -1).join(', ')} ${joiner} ${values[values.length - 1]}`;

const PEOPLE: Record<string, string> = { male: 'men', female: 'women', unknown: 'users of unknown gender' };

function subject(gender: SegmentFilter['gender']): string {
  if (gender === undefined) return 'users';
  const words = list(gender).map((word) => word.trim().toLowerCase());
  if (words.every((word) => Object.hasOwn(PEOPLE, word))) return either(words.map((word) => PEOPLE[word])); // own keys: "constructor" is a gender word too
  return `users of gender ${either(words)}`;
}

function range({ min, max }: NumberRange, unit = ''): string {
  if (min !== undefined && max !== undefined) return min === max ? `${min}${unit}` : `${min}–${max}${unit}`;
  return min !== undefined ? `${min}${unit} or more` : `at most ${max}${unit}`;
}

function dates(verb: string, negated: string, { from, to, within_days, not_within_days }: DateCondition): string {
  if (within_days !== undefined) return `who ${verb} within the last ${within_days} days`;
  if (not_within_days !== undefined) return `who ${negated} within the last ${not_within_days} days`;
  if (from && to) return `who ${verb} from ${from} to before ${to}`;
  return from ? `who ${verb} on or after ${from}` : `who ${verb} before ${to}`;
}

function interests(value: NonNullable<SegmentFilter['interests']>): string {
  if (typeof value === 'string' || Array.isArray(value)) return `interested in ${either(list(value))}`;
  const parts = [value.any_of && either(value.any_of), value.all_of && either(value.all_of, 'and')].filter(Boolean);
  return `interested in ${parts.join(' and in ')}`;
}

/** Each condition's phrase, in reading order after the subject. */
function qualifiers(f: SegmentFilter): string[] {
  return [
    f.age && `aged ${range(f.age)}`,
    f.interests && interests(f.interests),
    f.city && `in ${either(list(f.city))}`,
    f.country && `in ${either(list(f.country))}`,
    f.connection && `with a ${either(list(f.connection))} identity`,
    f.email_verified !== undefined && (f.email_verified ? 'with a verified email' : 'without a verified email'),
    f.lifecycle && `in lifecycle state ${either(list(f.lifecycle))}`,
    f.signed_up && dates('signed up', 'did not sign up', f.signed_up),
    f.last_login && dates('signed in', 'have not signed in', f.last_login),
    f.logins_count && `with ${range(f.logins_count, ' sign-ins')}`,
    f.sentiment && `with ${either(list(f.sentiment))} sentiment`,
    f.sentiment_score && `with a sentiment score of ${range(f.sentiment_score)}`,
    f.q && `matching q ${JSON.stringify(f.q)}`,
  ].filter((phrase): phrase is string => typeof phrase === 'string');
}

function describeNode(f: SegmentFilter): string {
  const phrases = qualifiers(f);
  const base = f.gender !== undefined || phrases.length ? [subject(f.gender), ...phrases].join(' ') : '';
  const nested = [
    f.all && `(${f.all.map(describeNode).join(') and (')})`,
    f.any && `(${f.any.map(describeNode).join(') or (')})`,
    f.not && `not (${describeNode(f.not)})`,
  ].filter((part): part is string => typeof part === 'string');
  return [base, ...nested].filter(Boolean).join(', and ');
}
