import { createRequire } from 'node:module';
import { dirname, resolve } from 'node:path';
import { Router } from 'express';
import { NotFoundError } from '../../errors/app-error.ts';
import type { OpenApiDocument } from './openapi-document.ts';

const PAGE_DIR = resolve(import.meta.dirname, '../../../public/api-docs');
const SWAGGER_UI_DIR = dirname(createRequire(import.meta.url).resolve('swagger-ui-dist/package.json'));

/**
 * The reference page is Swagger UI (swagger-ui-dist), served from node_modules, never a CDN, so it
 * works offline. Chosen because it runs under the app's CSP unchanged (script-src and style-src
 * 'self'): one bundle and one stylesheet from 'self', its inline styles set through the DOM (which
 * CSP allows), no eval; the browser test checks there is no violation. It shows schemas and scopes,
 * and "Authorize" + "Try it out" call the API. Redoc injects <style> elements (styled-components:
 * a nonce per response would be needed) and Scalar needs style-src 'unsafe-inline' for its inline
 * style attributes, as their maintainers document. Only these files are served:
 */
const ASSETS: Record<string, string> = {
  'swagger-ui-bundle.js': resolve(SWAGGER_UI_DIR, 'swagger-ui-bundle.js'),
  'swagger-ui.css': resolve(SWAGGER_UI_DIR, 'swagger-ui.css'),
  'api-reference.js': resolve(PAGE_DIR, 'api-reference.js'),
  'api-reference.css': resolve(PAGE_DIR, 'api-reference.css'),
};

/** Served under /api/v2 without a token: the document is built once (it is static), and the page that shows it. */
export function openApiRoutes(document: OpenApiDocument): Router {
  const router = Router();
  const json = JSON.stringify(document);
  router.get('/openapi.json', (_req, res) => {
    res.type('json').set('Cache-Control', 'public, max-age=300').send(json);
  });
  router.get('/docs', (req, res) => {
    // The page links its assets and the document relatively: `/docs/` would resolve them one level down.
    if (req.path.endsWith('/')) return res.redirect(301, `${req.baseUrl}/docs`);
    res.sendFile(resolve(PAGE_DIR, 'index.html'), { headers: { 'Cache-Control': 'public, max-age=300' } });
  });
  router.get('/docs/:asset', (req, res) => {
    const file = Object.hasOwn(ASSETS, req.params.asset) ? ASSETS[req.params.asset] : undefined; // not `constructor` & co., which every object has
    if (!file) throw new NotFoundError('Not Found');
    res.sendFile(file, { maxAge: '1h' });
  });
  return router;
}
