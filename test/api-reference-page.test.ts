import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { OpenApiDocument } from '../src/admin/http/openapi-document.ts';
import { launchBrowser, screenshot, watchForProblems, type PageProblem, type TestBrowser } from './support/browser.ts';
import { startTestInsole, type TestInsole } from './support/insole.ts';
import { m2mClientConfig } from './support/management.ts';

// Swagger UI sends client credentials in a Basic header, insole's default client authentication.
const BACKOFFICE = { client_id: 'reference-reader', client_secret: 'reference-reader-secret-0123456789abcdef', scopes: ['read:users'] };

describe('API reference page (/api/v2/docs)', () => {
  let insole: TestInsole;
  let browser: TestBrowser;
  let problems: PageProblem[];
  const requested: string[] = [];

  before(async () => {
    insole = await startTestInsole({ clients: [{ ...m2mClientConfig(BACKOFFICE), token_endpoint_auth_method: 'client_secret_basic' }] });
    browser = await launchBrowser();
    problems = await watchForProblems(browser.context);
    browser.context.on('request', (request) => requested.push(request.url()));
  });
  after(async () => {
    await browser?.close();
    await insole?.stop();
  });

  test('shows every operation of the document from local assets, with no console error and no CSP violation', async () => {
    const doc = await (await fetch(`${insole.issuer}/api/v2/openapi.json`)).json() as OpenApiDocument;
    const operations = Object.values(doc.paths).flatMap((operations) => Object.values(operations));
    const page = await browser.context.newPage();
    const res = await page.goto(`${insole.issuer}/api/v2/docs`);
    assert.equal(res!.status(), 200);
    assert.match(res!.headers()['content-security-policy'], /script-src 'self'/, 'the app\'s strict CSP applies to the page');

    const blocks = page.locator('.opblock');
    await blocks.first().waitFor();
    assert.equal(await blocks.count(), operations.length);
    for (const operation of operations) {
      assert.equal(await page.locator('.opblock-summary-description', { hasText: exactly(operation.summary) }).count(), 1, operation.summary);
    }
    assert.equal(await page.locator('.opblock-summary-path', { hasText: '/users-by-email' }).count(), 1);

    await page.locator('.opblock-get .opblock-summary', { has: page.locator('.opblock-summary-description', { hasText: exactly('Get a user') }) }).click();
    await page.locator('.opblock.is-open .parameters').waitFor();
    assert.match(await page.locator('.opblock.is-open').innerText(), /include_fields/);
    await screenshot(page, 'api-reference');

    assert.deepEqual(problems, []);
    const elsewhere = requested.filter((url) => !url.startsWith(`${insole.issuer}/`) && !url.startsWith('data:'));
    assert.deepEqual(elsewhere, [], 'nothing is loaded from another origin: the page works offline');
    await page.close();
  });

  test('"Authorize" with an M2M client\'s credentials, then "Try it out", calls the API from the page', async () => {
    const page = await browser.context.newPage();
    await page.goto(`${insole.issuer}/api/v2/docs`);
    await page.locator('.btn.authorize').first().click();
    await page.locator('[data-name="clientId"]').fill(BACKOFFICE.client_id);
    await page.locator('[data-name="clientSecret"]').fill(BACKOFFICE.client_secret);
    const tokenAnswer = page.waitForResponse((res) => res.url() === `${insole.issuer}/oauth/token`);
    await page.locator('.auth-btn-wrapper .btn.authorize').click();
    assert.equal((await tokenAnswer).status(), 200, 'the page asked for the Management API audience');
    await page.locator('.auth-btn-wrapper .btn.btn-done').click();

    const operation = page.locator('.opblock', { hasText: 'Find users by email' });
    await operation.locator('.opblock-summary').click();
    await operation.locator('.try-out__btn').click();
    await operation.locator('input[placeholder="email"]').fill('nobody@innovashoes.example');
    const apiAnswer = page.waitForResponse((res) => res.url().startsWith(`${insole.issuer}/api/v2/users-by-email`));
    await operation.locator('.execute').click();
    assert.equal((await apiAnswer).status(), 200);
    const shown = operation.locator('.live-responses-table tbody .response-col_status');
    await shown.first().waitFor();
    assert.match(await shown.first().innerText(), /^200/);
    await screenshot(page, 'api-reference-try-it-out');
    assert.deepEqual(problems, []);
    await page.close();
  });

  test('the M2M secret is usable from insole\'s own pages only, never from another site\'s', async () => {
    const ask = (origin: string) => fetch(`${insole.issuer}/oauth/token`, {
      method: 'POST',
      headers: {
        origin, 'content-type': 'application/x-www-form-urlencoded',
        authorization: `Basic ${Buffer.from(`${BACKOFFICE.client_id}:${BACKOFFICE.client_secret}`).toString('base64')}`,
      },
      body: new URLSearchParams({ grant_type: 'client_credentials', audience: `${insole.issuer}/api/v2/` }),
    });
    assert.equal((await ask(new URL(insole.issuer).origin)).status, 200);
    const foreign = await ask('https://attacker.example');
    assert.equal(foreign.status, 400);
    assert.match((await foreign.json() as { error_description: string }).error_description, /origin https:\/\/attacker\.example not allowed/);
  });

  test('/api/v2/docs/ goes to the page (its relative links need the URL without the slash); unknown assets (and names every object has, like constructor) are 404', async () => {
    const slash = await fetch(`${insole.issuer}/api/v2/docs/`, { redirect: 'manual' });
    assert.equal(slash.status, 301);
    assert.equal(slash.headers.get('location'), '/api/v2/docs');
    for (const asset of ['index.html', 'constructor', 'toString', '__proto__']) {
      const unknown = await fetch(`${insole.issuer}/api/v2/docs/${asset}`);
      assert.equal(unknown.status, 404, asset);
      assert.equal((await unknown.json() as { statusCode: number }).statusCode, 404, asset);
    }
  });
});

/** A summary as a whole (some summaries begin with others: "Get a user", "Get a user's log events"). */
function exactly(text: string): RegExp {
  return new RegExp(`^${text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`);
}
