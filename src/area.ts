import type { Router } from 'express';

/**
 * A part of insole (sign-in pages, hooks, the admin API, …) as the composition root sees it: it
 * builds its own services from what it is given and hands back what to mount and what to run.
 */
export interface Area {
  /** For programs (bearer tokens, no cookies): mounted before the database gate and the cookie parser, under `path`. */
  apis?: { path: string; router: Router }[];
  /** For browsers: mounted in order after the database gate and cookies, before oidc-provider. */
  pages?: Router[];
  /** After the server listens: background work (workers, relays). */
  start?(): Promise<void> | void;
  /** On shutdown, before the database closes: finish or hand back in-flight work within `graceMs`. */
  stop?(graceMs: number): Promise<void> | void;
}
