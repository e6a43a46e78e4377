import type { Logger } from '../../lib/logger.ts';
import type { UserDoc } from '../../users/user.model.ts';
import type { InterestVocabulary } from '../facts/interest-vocabulary.ts';
import type { SegmentMembership } from '../user-insight.ts';
import { compileSegmentFilter } from './segment-filter.ts';
import { createSegmentMatcher, type SegmentMatcher } from './segment-matcher.ts';
import type { SegmentDoc, SegmentRepository } from './segment.repository.ts';

interface Entry { doc: SegmentDoc; matcher: SegmentMatcher; compiledAt: number }

/**
 * This instance's copy of the saved segments, so a profile write can tell its memberships in
 * process (mingo), without a query per segment. Re-read every `refreshMs` (and at once after a
 * local change). Relative conditions ("within 14 days") are compiled against a moment: the
 * matchers are recompiled every minute, well inside the day-sized windows they describe.
 */
export function createSegmentRegistry({ repository, vocabulary, logger }: { repository: SegmentRepository; vocabulary: InterestVocabulary; logger: Logger }) {
  let entries = new Map<string, Entry>();
  const RECOMPILE_MS = 60_000;

  const compile = (doc: SegmentDoc, now: Date): Entry | undefined => {
    if (doc.type !== 'dynamic' || !doc.filter) return undefined;
    try {
      return { doc, matcher: createSegmentMatcher(compileSegmentFilter(doc.filter, { now, vocabulary })), compiledAt: now.getTime() };
    } catch (err) {
      logger.error({ err: { message: (err as Error).message }, segment: doc._id }, 'a saved segment cannot be compiled; its membership is left as stored');
      return undefined;
    }
  };

  function current(now: Date): Map<string, Entry> {
    for (const [id, entry] of entries) {
      if (now.getTime() - entry.compiledAt < RECOMPILE_MS) continue;
      const fresh = compile(entry.doc, now);
      if (fresh) entries.set(id, fresh);
    }
    return entries;
  }

  const membership: SegmentMembership = {
    evaluate(user: UserDoc, now: Date) {
      const known = current(now);
      return { evaluated: new Set(known.keys()), matching: [...known].filter(([, entry]) => entry.matcher(user)).map(([id]) => id) };
    },
    describe(id: string) {
      const doc = entries.get(id)?.doc;
      return doc && { segment_key: doc.key, segment_name: doc.name, quiet: doc.is_calculating };
    },
  };

  return {
    membership,
    async refresh(now = new Date()): Promise<void> {
      const next = new Map<string, Entry>();
      for (const doc of await repository.list()) {
        const entry = compile(doc, now);
        if (entry) next.set(doc._id, entry);
      }
      entries = next;
    },
    size: () => entries.size,
  };
}

export type SegmentRegistry = ReturnType<typeof createSegmentRegistry>;
