import assert from 'node:assert/strict';
import type { Page } from 'playwright-core';
import { clientSecretsBox } from '../../src/oidc/client-secrets.ts';
import { dashboardClient, loadDashboardClientSecret } from '../../src/oidc/dashboard-client.ts';
import type { Logger } from '../../src/lib/logger.ts';
import type { UserDoc } from '../../src/users/user.model.ts';
import { startTestInsole, type TestInsole } from './insole.ts';
import { api, m2mClientConfig, managementToken } from './management.ts';
import { hookJobsOf, logEventsOf, outboxOf, withPendingEvents } from './report-activity.ts';
import { reportShoppers } from './report-shoppers.ts';

/** The Management API as the tests read it, to compare with what the dashboard shows. */
export const READER = {
  client_id: 'dashboard-reader', client_secret: 'dashboard-reader-secret-0123456789abcdef',
  // create:role_members: dashboardUser gives its users their roles (app_metadata.roles).
  scopes: ['read:users', 'create:users', 'update:users', 'read:logs', 'read:stats', 'read:reports', 'read:segments', 'update:segments', 'create:role_members'],
};
export const DASHBOARD_PASSWORD = 'dashboard secret words';

export interface DashboardWorld { insole: TestInsole; reader: string; users: UserDoc[] }

/** Seeded users (the reports tests' shoppers) with their log events, hook jobs and outbox, for the dashboard to show. */
export async function seedShoppers(insole: TestInsole, count = 260): Promise<UserDoc[]> {
  const seededAt = new Date();
  await insole.db.collection('users').insertMany(withPendingEvents(reportShoppers(seededAt, count), seededAt).map((user) => ({ ...user })));
  const users = await insole.db.collection('users').find({}).toArray() as unknown as UserDoc[];
  await insole.db.collection('logs').insertMany(logEventsOf(users).map((e) => ({ ...e, log_id: `00${e.date.getTime().toString(16)}${e.log_id}` })));
  await insole.db.collection('hook_jobs').insertMany(hookJobsOf(users, seededAt).map((j) => ({ ...j })));
  await insole.db.collection('event_outbox').insertMany(outboxOf(seededAt).map((o) => ({ ...o })) as never[]);
  return users;
}

export async function startDashboardInsole(overrides: Record<string, unknown> = {}, databaseUri?: string, logger?: Logger): Promise<TestInsole> {
  return startTestInsole({
    clients: [m2mClientConfig(READER)],
    admin_api: { rate_limit: { requests: 10_000, window_seconds: 60 } },
    hooks: { enabled: false }, insight: { sweep_seconds: 86_400, events_poll_ms: 3_600_000 },
    ...overrides,
  }, databaseUri, logger);
}

/** A password user with these roles (app_metadata.roles), verified, created through the Management API. */
export async function dashboardUser(insole: TestInsole, reader: string, email: string, roles: string[]) {
  const res = await api(insole, reader, 'POST', '/users', {
    connection: 'Username-Password-Authentication', email, password: DASHBOARD_PASSWORD, email_verified: true, verify_email: false, name: email.split('@')[0],
    app_metadata: roles.length ? { roles } : {},
  });
  assert.equal(res.status, 201, JSON.stringify(res.body));
  return res.body as { user_id: string; email: string };
}

export const readerToken = (insole: TestInsole) => managementToken(insole, READER).then((t) => t.access_token);

/** Opens `path` signed out: insole's hosted sign-in page comes, the user signs in there, and the page comes back. */
export async function signInThroughHostedPage(page: Page, insole: TestInsole, email: string, path = '/admin'): Promise<void> {
  await page.goto(`${insole.issuer}${path}`);
  assert.match(await page.locator('form').first().getAttribute('action') ?? '', /^\/interaction\/[^/]+\/login$/, `the hosted sign-in page, not ${page.url()}`);
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(DASHBOARD_PASSWORD);
  await Promise.all([page.waitForURL((url) => url.pathname.startsWith('/admin')), page.getByRole('button', { name: 'Sign in' }).click()]);
}

/** The dashboard's client as insole registers it, its secret read from the database as the instances read it. */
export async function dashboardClientOf(insole: TestInsole) {
  return dashboardClient(insole.config, await loadDashboardClientSecret(insole.connection, clientSecretsBox(insole.config)));
}

/** A number as the dashboard prints it ("12,345"). */
export const shown = (text: string | null) => Number((text ?? '').replace(/,/g, '').trim());
