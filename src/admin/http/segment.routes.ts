import { z } from 'zod';
import type { SegmentService } from '../../insight/segments/segment.service.ts';
import { defaultExportFields } from '../jobs/export-fields.ts';
import { writeExport } from '../jobs/user-export.ts';
import type { UserRepository } from '../../users/user.repository.ts';
import { toPublicProfile } from '../../users/profile.ts';
import type { UserListing } from '../user-listing.service.ts';
import { auth0ErrorResponse as auth0Error } from './api-errors.ts';
import { defineRoute, type AnyApiRoute } from './api-route.ts';
import { checkRowOutput } from './report-output.ts';
import { createSegmentBody, patchSegmentBody, segmentIdParams, segmentResponse, toSegmentResponse } from './segment-schemas.ts';
import { userResponse } from './user-schemas.ts';

const membersQuery = z.strictObject({
  from: z.string().max(1000).optional().describe('JSON paging: the cursor from the previous page\'s Link header.'),
  take: z.coerce.number().int().min(1).max(100).optional().describe('JSON paging: members per page (default 50).'),
  format: z.enum(['json', 'csv', 'ndjson']).default('json').describe('csv or ndjson: every member, streamed, as the export job writes them.'),
}).superRefine(checkRowOutput);

const CONTENT_TYPES = { csv: 'text/csv; charset=utf-8', ndjson: 'application/x-ndjson' } as const;

/** Saved segments (beyond Auth0): definitions, sizes, recent movement, and their members. */
export function segmentRoutes(segments: SegmentService, listing: UserListing, users: UserRepository): AnyApiRoute[] {
  const one = { description: 'The segment.', schema: segmentResponse };
  return [
    defineRoute({
      method: 'post', path: '/segments', tag: 'Segments', summary: 'Save a segment', scopes: ['update:segments'],
      description: 'A dynamic segment (filter or q) or a static one (user_ids). Its membership is calculated after the answer (is_calculating), '
        + 'without events; from then on every change of membership emits segment.entered / segment.exited to RabbitMQ.',
      body: createSegmentBody,
      responses: { 201: one, 400: auth0Error, 409: auth0Error },
      audit: { description: 'Create a Segment' },
      async handle({ body }) {
        const { q, ...rest } = body;
        return { status: 201, body: toSegmentResponse(await segments.create({ ...rest, ...(q ? { filter: { q } } : {}) })) };
      },
    }),
    defineRoute({
      method: 'get', path: '/segments', tag: 'Segments', summary: 'List the saved segments', scopes: ['read:segments'],
      responses: { 200: { description: 'Every saved segment with its size now.', schema: z.array(segmentResponse) } },
      async handle() {
        return { status: 200, body: (await segments.list()).map(toSegmentResponse) };
      },
    }),
    defineRoute({
      method: 'get', path: '/segments/{id}', tag: 'Segments', summary: 'Get a segment', scopes: ['read:segments'],
      params: segmentIdParams, responses: { 200: one, 404: auth0Error },
      async handle({ params }) {
        return { status: 200, body: toSegmentResponse(await segments.view(await segments.find(params.id))) };
      },
    }),
    defineRoute({
      method: 'patch', path: '/segments/{id}', tag: 'Segments', summary: 'Update a segment', scopes: ['update:segments'],
      params: segmentIdParams, body: patchSegmentBody, responses: { 200: one, 400: auth0Error, 404: auth0Error },
      audit: { description: 'Update a Segment' },
      async handle({ params, body }) {
        const { q, ...rest } = body;
        return { status: 200, body: toSegmentResponse(await segments.update(params.id, { ...rest, ...(q ? { filter: { q } } : {}) })) };
      },
    }),
    defineRoute({
      method: 'delete', path: '/segments/{id}', tag: 'Segments', summary: 'Delete a segment', scopes: ['update:segments'],
      params: segmentIdParams, responses: { 204: { description: 'Deleted; members no longer carry it.' }, 404: auth0Error },
      audit: { description: 'Delete a Segment' },
      async handle({ params }) {
        await segments.remove(params.id);
        return { status: 204 };
      },
    }),
    defineRoute({
      method: 'get', path: '/segments/{id}/members', tag: 'Segments', summary: "A segment's members", scopes: ['read:segments'],
      description: 'JSON: a page of members as Auth0 profiles, the next page in the Link header (rel="next"). csv / ndjson: every member, streamed.',
      params: segmentIdParams, query: membersQuery,
      responses: {
        200: { description: 'Members.', schema: z.array(userResponse), headers: { link: 'The next page (JSON), when there is one.' } },
        404: auth0Error,
      },
      async handle({ params, query }, call, res) {
        const segment = await segments.find(params.id);
        if (query.format !== 'json') {
          const format = query.format === 'csv' ? 'csv' : 'json';
          res.setHeader('content-type', CONTENT_TYPES[query.format]);
          res.setHeader('content-disposition', `attachment; filename="${segment.key}.${query.format}"`);
          await writeExport(users.streamBatches({ segment: segment._id }), { format, fields: defaultExportFields(format) }, { to: res });
          return undefined;
        }
        const take = query.take ?? 50;
        const page = await listing.after({ segment: segment._id }, { from: query.from, take, sort: { field: 'user_id', direction: 1 } });
        const next = page.next ? new URL(call.url) : undefined;
        next?.searchParams.set('from', page.next!);
        next?.searchParams.set('take', String(take));
        return { status: 200, body: page.users.map(toPublicProfile), headers: next ? { link: `<${next.href}>; rel="next"` } : undefined };
      },
    }),
  ];
}
