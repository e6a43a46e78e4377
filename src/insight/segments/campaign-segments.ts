import type { SegmentFilter } from './segment-filter-schema.ts';

/**
 * Issue 10's first campaign, the pre-order mail for the new running shoe: men aged 20–40
 * interested in fitness (the vocabulary key, so "Running", "Marathon Training" or a gym's page count).
 * The CLI's `report segment --gender male --age 20-40 --interest fitness` builds this same filter (src/cli/report-params.ts).
 */
export const PREORDER_SEGMENT_FILTER: Readonly<SegmentFilter> = Object.freeze({
  gender: 'male',
  age: Object.freeze({ min: 20, max: 40 }),
  interests: 'fitness',
});
