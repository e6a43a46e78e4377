import { z } from 'zod';
import { AGE_BUCKETS, UNKNOWN_AGE } from '../../insight/segments/age-buckets.ts';
import { segmentFilterSchema, segmentQuerySchema, type SegmentFilter } from '../../insight/segments/segment-filter-schema.ts';
import { describeSegmentFilter } from '../../insight/segments/segment-description.ts';
import { PREVIEW_SAMPLE_SIZE, PREVIEW_TOP_VALUES, type SegmentPreview } from '../../reports/segment-preview.report.ts';
import { toPublicProfile } from '../../users/profile.ts';
import { auth0ErrorResponse as auth0Error } from './api-errors.ts';
import { defineRoute, type AnyApiRoute } from './api-route.ts';
import { projectFields } from './query-params.ts';
import { userResponse } from './user-schemas.ts';

export interface SegmentPreviewer {
  /** Compiles the validated filter at the current time and runs the preview report. */
  preview(filter: SegmentFilter): Promise<SegmentPreview>;
}

/** A segment in a request body: `{ filter }`, or `{ q }` alone. */
export const segmentBody = z.strictObject({
  filter: segmentFilterSchema.optional().describe('The segment filter (see SegmentFilter); {} is every user.'),
  q: segmentQuerySchema.optional().describe('Instead of a filter: Auth0\'s user search syntax alone, the same as { "filter": { "q": … } }.'),
}).refine((body) => (body.filter === undefined) !== (body.q === undefined), 'give either filter or q (one of them)');

/**
 * What the sample shows of a user to a token without read:users: what the report rows show
 * (email, name, user_id), and when they signed up. read:reports is the campaigns' scope; whole
 * profiles (metadata, roles, IPs, identities) are read:users', as everywhere else in the API.
 */
const SAMPLE_FIELDS_WITHOUT_READ_USERS = ['user_id', 'email', 'name', 'created_at'];

const valueCounts = (what: string) => z.array(z.object({ value: z.string(), count: z.number().int() }))
  .describe(`${what}: the ${PREVIEW_TOP_VALUES} most frequent values, then "other" (the rest together) and "unknown" (users without it), each only when non-zero.`);

const previewResponse = z.object({
  count: z.number().int().describe('Users in the segment now.'),
  breakdown: z.object({
    age: z.array(z.object({ bucket: z.enum([...AGE_BUCKETS.map((b) => b.bucket), UNKNOWN_AGE]), count: z.number().int() }))
      .describe('Every bucket, in order. A user counts in the bucket of the youngest age their known birth dates allow today.'),
    gender: valueCounts('Gender (facts)'),
    country: valueCounts('Country, ISO 3166-1 alpha-2 where known (facts)'),
    connection: valueCounts("The primary identity's connection"),
  }),
  sample: z.array(userResponse).max(PREVIEW_SAMPLE_SIZE).describe(`Up to ${PREVIEW_SAMPLE_SIZE} members, the newest sign-ups first: Auth0 profiles with read:users; `
    + `else only ${SAMPLE_FIELDS_WITHOUT_READ_USERS.join(', ')} (what the report rows show).`),
  description: z.string().describe('The filter in words, e.g. "men aged 20–40 interested in fitness".'),
}).meta({ id: 'SegmentPreview' });

/** Reports over segments: the ad-hoc preview (saved segments live under /segments). */
export function segmentPreviewRoutes(previewer: SegmentPreviewer): AnyApiRoute[] {
  return [
    defineRoute({
      method: 'post', path: '/reports/segments/preview', tag: 'Reports', summary: 'Preview a segment', scopes: ['read:reports'],
      description: 'How many users a segment filter matches right now, broken down by age bucket, gender, country and connection '
        + `(from one aggregation), with a sample of ${PREVIEW_SAMPLE_SIZE}. Nothing is saved. Relative conditions (age, within_days) are resolved at the time of the request.`,
      body: segmentBody,
      responses: { 200: { description: 'The preview.', schema: previewResponse }, 400: auth0Error },
      async handle({ body }, call) {
        const filter: SegmentFilter = body.filter ?? { q: body.q };
        const preview = await previewer.preview(filter);
        const profiles = preview.sample.map(toPublicProfile);
        const sample = call.bearer.scopes.has('read:users') ? profiles : profiles.map((profile) => projectFields(profile, SAMPLE_FIELDS_WITHOUT_READ_USERS));
        return { status: 200, body: { count: preview.count, breakdown: preview.breakdown, sample, description: describeSegmentFilter(filter) } };
      },
    }),
  ];
}
