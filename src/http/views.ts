import { resolve } from 'node:path';
import ejs from 'ejs';
import type { Config } from '../config/schema.ts';

export const VIEWS_DIR = resolve(import.meta.dirname, '../../views');

export type RenderView = (name: string, locals?: Record<string, unknown>) => Promise<string>;

/** One renderer for Express pages and oidc-provider's pages, so every page carries the brand. */
export function createViewRenderer(config: Config): RenderView {
  const brand = config.brand;
  return (name, locals = {}) => ejs.renderFile(resolve(VIEWS_DIR, `${name}.ejs`), {
    brand, password_policy: config.password_policy, error: undefined, title: brand.name, ...locals,
  }, { cache: config.env !== 'development' }); // development re-reads templates so edits show at once
}
