import { z } from 'zod';
import { CONNECTIONS } from '../../auth/connections.ts';
import { segmentFilterSchema, segmentQuerySchema, unknownConnections } from '../../insight/segments/segment-filter-schema.ts';
import { MAX_STATIC_MEMBERS } from '../../insight/segments/segment.repository.ts';
import type { SegmentView } from '../../insight/segments/segment.service.ts';

const isoDate = z.iso.datetime();

export const segmentIdParams = z.object({ id: z.string().regex(/^seg_[0-9a-f]{24}$/, 'not a segment id') });

const definition = {
  name: z.string().trim().min(1).max(200),
  description: z.string().max(2000).optional(),
};
const staticMembers = z.array(z.string().min(1).max(300)).min(1).max(MAX_STATIC_MEMBERS);
/** How many of the three ways to say who is in a segment a body gives. */
const membershipParts = (body: { filter?: unknown; q?: unknown; user_ids?: unknown }) => [body.filter, body.q, body.user_ids].filter((part) => part !== undefined).length;

export const createSegmentBody = z.strictObject({
  key: z.string().regex(/^[a-z0-9][a-z0-9-]{0,59}$/, 'lower-case letters, digits and dashes').optional()
    .describe('A stable name for consumers of segment events. Unique: a key given that is taken is a 409; the default, from the name, gets a suffix when taken (`segment-3fa9c1`).'),
  ...definition,
  filter: segmentFilterSchema.optional().describe('A dynamic segment: kept current at every profile change and by the sweep.'),
  q: segmentQuerySchema.optional().describe('A dynamic segment from Auth0\'s user search syntax alone (same as { "filter": { "q": … } }).'),
  user_ids: staticMembers.optional().describe('A static segment: these users.'),
}).refine((body) => membershipParts(body) === 1, 'give exactly one of filter, q or user_ids');

/**
 * The definition POST takes, but for `key` (what consumers of segment events know the segment by)
 * and the type: a dynamic segment takes a new filter or q, a static one new user_ids.
 */
export const patchSegmentBody = z.strictObject({
  name: definition.name.optional(),
  description: definition.description,
  filter: segmentFilterSchema.optional().describe('A dynamic segment\'s new filter: the membership is calculated again, without events (a new starting state).'),
  q: segmentQuerySchema.optional().describe('A dynamic segment\'s new filter from Auth0\'s user search syntax alone (same as { "filter": { "q": … } }); calculated again as filter is.'),
  user_ids: staticMembers.optional().describe('A static segment\'s new members (all of them): calculated again as filter is.'),
}).refine((body) => Object.keys(body).length > 0, 'Too few properties defined (0), minimum 1')
  .refine((body) => membershipParts(body) <= 1, 'give at most one of filter, q or user_ids');

export const segmentResponse = z.object({
  id: z.string(),
  key: z.string().describe('What segment events carry as segment_key.'),
  name: z.string(),
  description: z.string().optional(),
  type: z.enum(['dynamic', 'static']),
  filter: z.record(z.string(), z.unknown()).optional(),
  filter_text: z.string().optional().describe('The filter in words.'),
  count: z.number().int().describe('Members now.'),
  is_calculating: z.boolean().describe('The membership is being (re)calculated; count is not final yet.'),
  last_calculated_at: isoDate.optional().describe('When the membership was last calculated or swept.'),
  error: z.string().optional().describe('Why the last calculation failed, if it did.'),
  warning: z.string().optional().describe('A filter saved before its values were checked that names a connection insole does not have: the segment runs, and that condition matches nobody.'),
  recent: z.object({ entered: z.number().int(), exited: z.number().int(), since: isoDate }).describe('segment.entered / segment.exited events since `since` (7 days).'),
  created_at: isoDate,
  updated_at: isoDate,
}).meta({ id: 'Segment' });

export function toSegmentResponse(view: SegmentView): z.input<typeof segmentResponse> {
  return {
    id: view._id, key: view.key, name: view.name, ...(view.description ? { description: view.description } : {}), type: view.type,
    ...(view.filter ? { filter: view.filter as Record<string, unknown>, filter_text: view.description_text } : {}),
    count: view.count, is_calculating: view.is_calculating,
    ...(view.last_calculated_at ? { last_calculated_at: view.last_calculated_at.toISOString() } : {}),
    ...(view.error ? { error: view.error } : {}),
    ...warningOf(view),
    recent: { entered: view.recent.entered, exited: view.recent.exited, since: view.recent.since.toISOString() },
    created_at: view.created_at.toISOString(), updated_at: view.updated_at.toISOString(),
  };
}

function warningOf(view: SegmentView): { warning?: string } {
  const unknown = view.filter ? unknownConnections(view.filter) : [];
  if (!unknown.length) return {};
  return { warning: `The filter names connections insole does not have (${unknown.join(', ')}): those conditions match nobody. `
    + `insole names connections: ${CONNECTIONS.join(', ')}. A PATCH with a corrected filter fixes it.` };
}
