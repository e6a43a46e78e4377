import { pipeline } from 'node:stream/promises';
import { Router } from 'express';
import { z } from 'zod';
import { InsufficientScopeError } from '../../errors/app-error.ts';
import { parseInput } from '../../http/edge/input.ts';
import type { UserJobsService } from '../jobs/user-jobs.service.ts';
import type { UserAdminService } from '../user-admin.service.ts';
import { roleRightsOf } from '../role-members.ts';
import { defineRoute, type AnyApiRoute, type ApiCall } from './api-route.ts';
import { exportJobBody, importJobBody, verificationEmailBody, jobIdParams, jobResponse, recordErrorsResponse, toJobView, toRecordErrors } from './job-schemas.ts';

const auth0Error = { description: 'Auth0 error body: { statusCode, error, message, errorCode }' };
const createdBy = (call: ApiCall) => call.bearer.clientId ?? call.bearer.subject;

/**
 * Auth0's jobs (https://auth0.com/docs/api/management/v2/jobs): create a users export or import,
 * read a job and its errors. Reading an export needs read:users, since its `location` hands out
 * every profile; an import can be read with either scope, as Auth0 allows.
 */
export function jobRoutes(service: UserJobsService, limits: { importMaxBytes: number }, users: Pick<UserAdminService, 'sendVerificationEmail'>): AnyApiRoute[] {
  const readable = async (id: string, call: ApiCall) => {
    const found = await service.getJob(id);
    if (found.job.type === 'users_export' && !call.bearer.scopes.has('read:users')) throw new InsufficientScopeError(['read:users']);
    return found;
  };
  return [
    defineRoute({
      method: 'post', path: '/jobs/users-exports', tag: 'Jobs', summary: 'Create export users job', scopes: ['read:users'],
      description: 'Exports users as NDJSON or CSV (Auth0 CSV escaping) into a gzip file; GET the job for its download `location`.',
      body: exportJobBody,
      responses: { 201: { description: 'The job, pending.', schema: jobResponse }, 400: auth0Error, 404: auth0Error },
      audit: { description: 'Create export users job' },
      async handle({ body }, call) {
        return { status: 201, body: toJobView(await service.createExportJob(body, createdBy(call))) };
      },
    }),
    defineRoute({
      method: 'post', path: '/jobs/users-imports', tag: 'Jobs', summary: 'Create import users job', scopes: ['create:users'],
      description: 'multipart/form-data with the `users` file. Each record is validated on its own: a bad one is reported by GET /jobs/{id}/errors and the others go on. '
        + 'A record that gives dashboard roles (app_metadata.roles, or a verified address in dashboard.admins) fails (INSUFFICIENT_SCOPE) unless the token had create:role_members; '
        + 'one whose upsert takes roles away, unless it had delete:role_members.',
      multipart: { file: 'users', maxBytes: limits.importMaxBytes },
      body: importJobBody,
      responses: { 202: { description: 'The job, pending.', schema: jobResponse }, 400: auth0Error, 413: auth0Error },
      audit: { description: 'Create import users job' },
      async handle({ body }, call) {
        return { status: 202, body: toJobView(await service.createImportJob(body, createdBy(call), roleRightsOf(call.bearer.scopes))) };
      },
    }),
    defineRoute({
      method: 'post', path: '/jobs/verification-email', tag: 'Jobs', summary: 'Send an email address verification email', scopes: ['update:users'],
      description: 'Mails the user a fresh single-use link that confirms their address (the sign-up mail\'s link). Answers the job, already completed. '
        + 'An address that is already verified, or a user without one, is a 400 and nothing is sent.',
      body: verificationEmailBody,
      responses: { 201: { description: 'The job, completed.', schema: jobResponse }, 400: auth0Error, 404: auth0Error },
      audit: { description: 'Send a verification email', userId: ({ body }) => body.user_id },
      async handle({ body }, call) {
        const job = await service.createVerificationEmailJob(() => users.sendVerificationEmail(body.user_id, body.identity), createdBy(call));
        return { status: 201, body: toJobView(job) };
      },
    }),
    defineRoute({
      method: 'get', path: '/jobs/{id}', tag: 'Jobs', summary: 'Get a job', scopes: ['create:users', 'read:users'],
      params: jobIdParams,
      responses: { 200: { description: 'The job: status, progress, import summary, export location.', schema: jobResponse }, 403: auth0Error, 404: auth0Error },
      async handle({ params }, call) {
        const { job, location } = await readable(params.id, call);
        return { status: 200, body: toJobView(job, location), headers: { 'cache-control': 'no-store' } };
      },
    }),
    defineRoute({
      method: 'get', path: '/jobs/{id}/errors', tag: 'Jobs', summary: 'Get job error details', scopes: ['create:users', 'read:users'],
      params: jobIdParams,
      responses: {
        200: { description: 'The refused import records, or the job itself when it failed as a whole.', schema: z.union([recordErrorsResponse, jobResponse]) },
        204: { description: 'The job has no errors.' },
        404: auth0Error,
      },
      async handle({ params }, call) {
        await readable(params.id, call);
        const { job, records } = await service.getErrors(params.id);
        if (records) return { status: 200, body: toRecordErrors(records) };
        if (job.status === 'failed') return { status: 200, body: toJobView(job) };
        return { status: 204 };
      },
    }),
  ];
}

const downloadQuery = z.object({ expires: z.string().max(20), signature: z.string().max(100) }).strict();

/**
 * GET /api/v2/jobs/{id}/download: the file behind an export's `location`. No bearer token: the
 * signed, short-lived link is the credential, as Auth0's pre-signed S3 URL is. Streamed from GridFS.
 */
export function jobDownloadRouter(service: UserJobsService): Router {
  const router = Router();
  router.get('/jobs/:id/download', async (req, res) => {
    const { id } = parseInput(jobIdParams, req.params, 'params');
    const { expires, signature } = parseInput(downloadQuery, req.query, 'query');
    const file = await service.openDownload(id, expires, signature);
    res.setHeader('Content-Type', 'application/gzip');
    res.setHeader('Content-Length', String(file.length));
    res.setHeader('Content-Disposition', `attachment; filename="${file.filename}"`);
    res.setHeader('Cache-Control', 'no-store');
    await pipeline(file.stream, res);
  });
  return router;
}
