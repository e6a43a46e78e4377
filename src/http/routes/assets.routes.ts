import express, { Router } from 'express';
import { createRequire } from 'node:module';
import { dirname, resolve } from 'node:path';
import type { Config } from '../../config/schema.ts';

const PUBLIC_DIR = resolve(import.meta.dirname, '../../../public');
/** Chart.js's browser build, served from its npm package: no CDN, works offline, inside the CSP. */
const CHART_JS_DIR = dirname(createRequire(import.meta.url).resolve('chart.js'));

/** Static files, plus the brand colours as CSS variables (no inline styles, so the CSP stays strict). */
export function assetRoutes(config: Config): Router {
  const router = Router();
  const brandCss = `:root{--brand:${config.brand.primary_color};}\n`;
  router.get('/assets/brand.css', (_req, res) => { res.type('css').set('Cache-Control', 'public, max-age=300').send(brandCss); });
  router.use('/assets', express.static(resolve(PUBLIC_DIR, 'assets'), { maxAge: '1h', index: false }));
  router.get('/assets/vendor/chart.js/chart.umd.min.js', (_req, res) => { res.sendFile(resolve(CHART_JS_DIR, 'chart.umd.min.js'), { maxAge: '1d' }); });
  return router;
}
