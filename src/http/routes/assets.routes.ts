import express, { Router } from 'express';
import { resolve } from 'node:path';
import type { Config } from '../../config/schema.ts';

const PUBLIC_DIR = resolve(import.meta.dirname, '../../../public');

/** Static files, plus the brand colours as CSS variables (no inline styles, so the CSP stays strict). */
export function assetRoutes(config: Config): Router {
  const router = Router();
  const brandCss = `:root{--brand:${config.brand.primary_color};}\n`;
  router.get('/assets/brand.css', (_req, res) => { res.type('css').set('Cache-Control', 'public, max-age=300').send(brandCss); });
  router.use('/assets', express.static(resolve(PUBLIC_DIR, 'assets'), { maxAge: '1h', index: false }));
  return router;
}
