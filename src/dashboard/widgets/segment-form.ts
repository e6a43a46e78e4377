import { z } from 'zod';
import type { SegmentFilter } from '../../insight/segments/segment-filter-schema.ts';
import { LIFECYCLE_STATES } from '../../insight/lifecycle/lifecycle-state.ts';

/**
 * The segment builder's form, and the segment filter it stands for (README "Segment filters").
 * Built on the server, once, for the live preview (the page's script posts the form as it
 * changes) and for saving (the form's own submit): the filter the user sees is the filter saved.
 * The API checks the filter itself; here only the form's own fields are read.
 */
const text = z.string().max(2000).optional().transform((v) => v?.trim() || undefined);
const many = z.preprocess((v) => (v === undefined || v === '' ? [] : Array.isArray(v) ? v : [v]), z.array(z.string().max(100)).max(50));
const whole = (what: string) => z.string().max(10).optional().transform((v, ctx) => {
  if (v === undefined || v.trim() === '') return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) {
    ctx.addIssue({ code: 'custom', message: `${what}: enter a whole number.` });
    return z.NEVER;
  }
  return n;
});
const window = z.enum(['within', 'not_within']).optional();

export const segmentFormSchema = z.object({
  name: text, description: text, key: text,
  gender: z.enum(['', 'male', 'female', 'unknown']).optional(),
  age_min: whole('Age from'), age_max: whole('Age to'),
  interests: text, interests_mode: z.enum(['any', 'all']).optional(),
  country: text, city: text,
  connection: many, lifecycle: many, sentiment: many,
  email_verified: z.enum(['', 'true', 'false']).optional(),
  signed_up_days: whole('Signed up: days'), signed_up_mode: window,
  last_login_days: whole('Last sign-in: days'), last_login_mode: window,
  logins_min: whole('Sign-ins from'), logins_max: whole('Sign-ins to'),
  q: text,
  _csrf: z.string().max(512).optional(),
}).strict();

export type SegmentForm = z.infer<typeof segmentFormSchema>;
/** The form as the browser sends it (strings), which is also how it is shown again. */
export type SegmentFormInput = Partial<z.input<typeof segmentFormSchema>>;

export const LIFECYCLE_CHOICES = LIFECYCLE_STATES;
export const SENTIMENT_CHOICES = ['negative', 'neutral', 'positive'] as const;

const list = (value: string | undefined) => (value ? value.split(',').map((v) => v.trim()).filter(Boolean) : []);
const oneOrMany = (values: string[]) => (values.length === 1 ? values[0] : values);
const range = (min?: number, max?: number) => (min === undefined && max === undefined ? undefined : { ...(min !== undefined ? { min } : {}), ...(max !== undefined ? { max } : {}) });
const days = (n: number | undefined, mode: 'within' | 'not_within' | undefined) => (n === undefined ? undefined : mode === 'not_within' ? { not_within_days: n } : { within_days: n });

/** The filter the form describes; `{}` (every user) when nothing is chosen. */
export function filterFromForm(form: SegmentForm): SegmentFilter {
  const interests = list(form.interests);
  const filter: SegmentFilter = {
    ...(form.gender ? { gender: form.gender } : {}),
    ...(range(form.age_min, form.age_max) ? { age: range(form.age_min, form.age_max) } : {}),
    ...(interests.length ? { interests: form.interests_mode === 'all' ? { all_of: interests } : oneOrMany(interests) } : {}),
    ...(list(form.country).length ? { country: oneOrMany(list(form.country)) } : {}),
    ...(list(form.city).length ? { city: oneOrMany(list(form.city)) } : {}),
    ...(form.connection.length ? { connection: oneOrMany(form.connection) } : {}),
    ...(form.lifecycle.length ? { lifecycle: oneOrMany(form.lifecycle) as SegmentFilter['lifecycle'] } : {}),
    ...(form.sentiment.length ? { sentiment: oneOrMany(form.sentiment) as SegmentFilter['sentiment'] } : {}),
    ...(form.email_verified ? { email_verified: form.email_verified === 'true' } : {}),
    ...(days(form.signed_up_days, form.signed_up_mode) ? { signed_up: days(form.signed_up_days, form.signed_up_mode) } : {}),
    ...(days(form.last_login_days, form.last_login_mode) ? { last_login: days(form.last_login_days, form.last_login_mode) } : {}),
    ...(range(form.logins_min, form.logins_max) ? { logins_count: range(form.logins_min, form.logins_max) } : {}),
    ...(form.q ? { q: form.q } : {}),
  };
  return filter;
}

/** The pre-order segment as the form shows it (the builder starts from it). */
export const PREORDER_FORM: SegmentFormInput = { gender: 'male', age_min: '20', age_max: '40', interests: 'fitness' };
