import type { EventOutbox } from '../../events/event-outbox.ts';
import { isDuplicateKeyError } from '../../db/duplicate-keys.ts';
import { keyFromName } from './segment-key.ts';
import { BadRequestError, ConflictError, NotFoundError } from '../../errors/app-error.ts';
import type { Logger } from '../../lib/logger.ts';
import type { UserModel } from '../../users/user.model.ts';
import type { InterestVocabulary } from '../facts/interest-vocabulary.ts';
import { calculateSegment } from './segment-calculation.ts';
import { describeSegmentFilter } from './segment-description.ts';
import type { SegmentFilter } from './segment-filter.ts';
import type { SegmentRegistry } from './segment-registry.ts';
import { MAX_STATIC_MEMBERS, type SegmentDoc, type SegmentRepository } from './segment.repository.ts';

export class SegmentNotFoundError extends NotFoundError {
  constructor() { super('The segment does not exist.'); }
  override readonly code = 'inexistent_segment';
}

export interface NewSegment { key?: string; name: string; description?: string; filter?: SegmentFilter; user_ids?: string[] }
export interface SegmentPatch { name?: string; description?: string; filter?: SegmentFilter; user_ids?: string[] }

/** A segment as the API shows it: its definition, its size now, and how it moved lately. */
export interface SegmentView extends SegmentDoc { count: number; description_text?: string; recent: { entered: number; exited: number; since: Date } }

const RECENT_DAYS = 7;

export type SegmentService = ReturnType<typeof createSegmentService>;

/** Saved segments: definitions, their (re)calculation, and what the API shows of them. */
export function createSegmentService(deps: { users: UserModel; repository: SegmentRepository; registry: SegmentRegistry; outbox: EventOutbox; vocabulary: InterestVocabulary; logger: Logger }) {
  const { users, repository, registry, vocabulary, logger } = deps;

  /** The calculation runs after the answer; the segment shows is_calculating until it is done. */
  function calculateSoon(segment: SegmentDoc): void {
    void registry.refresh()
      .then(() => calculateSegment({ users, repository, vocabulary }, segment))
      .then(() => registry.refresh())
      .catch((err: Error) => logger.error({ err: { message: err.message }, segment: segment._id }, 'segment calculation failed; the sweep will retry'));
  }

  async function view(segment: SegmentDoc): Promise<SegmentView> {
    const since = new Date(Date.now() - RECENT_DAYS * 86_400_000);
    const [count, recent] = await Promise.all([users.countDocuments({ 'facts.segments': segment._id }).exec(), deps.outbox.countRecent(segment._id, since)]);
    return { ...segment, count, recent: { ...recent, since }, ...(segment.filter ? { description_text: describeSegmentFilter(segment.filter) } : {}) };
  }

  async function insert(segment: SegmentDoc): Promise<void> {
    try {
      await repository.insert(segment);
    } catch (err) {
      if (isDuplicateKeyError(err)) throw new ConflictError(`A segment with the key "${segment.key}" exists already.`, 'segment_conflict');
      throw err;
    }
  }

  async function find(id: string): Promise<SegmentDoc> {
    const segment = await repository.find(id);
    if (!segment) throw new SegmentNotFoundError();
    return segment;
  }

  return {
    view, find,
    list: async () => Promise.all((await repository.list()).map(view)),

    async create(input: NewSegment): Promise<SegmentView> {
      if (Boolean(input.filter) === Boolean(input.user_ids)) throw new BadRequestError('Give a filter (a dynamic segment) or user_ids (a static one), not both.', 'invalid_body');
      if ((input.user_ids?.length ?? 0) > MAX_STATIC_MEMBERS) throw new BadRequestError(`A static segment holds at most ${MAX_STATIC_MEMBERS} users.`, 'invalid_body');
      const now = new Date();
      const segment: SegmentDoc = {
        _id: repository.newId(), key: input.key ?? keyFromName(input.name), name: input.name, ...(input.description ? { description: input.description } : {}),
        type: input.filter ? 'dynamic' : 'static', ...(input.filter ? { filter: input.filter } : { user_ids: [...new Set(input.user_ids)] }),
        created_at: now, updated_at: now, version: 1, is_calculating: true,
      };
      // Without a key, the name says which segment is meant: a second one of that name is the same
      // request sent again (a retry), a conflict as a taken key is.
      const sameName = () => new ConflictError(`A segment named "${input.name}" exists already.`, 'segment_conflict');
      if (input.key === undefined && await repository.named(input.name)) throw sameName();
      try {
        await insert(segment);
      } catch (err) {
        // A key given is the caller's name for the segment: taken is a conflict. A key derived from the name
        // only has to be unique (女性 and 男性 both derive "segment"): six of the id's random digits make it so.
        if (!(err instanceof ConflictError) || input.key !== undefined) throw err;
        // Unless the key was taken by the same name a moment ago: a retry sent while the first request
        // ran (both found no such name), whose insert of the same key is what refused this one.
        if (await repository.named(input.name)) throw sameName();
        segment.key = `${segment.key.slice(0, 53)}-${segment._id.slice(-6)}`;
        await insert(segment);
      }
      calculateSoon(segment);
      return view(segment);
    },

    /** A new filter or new members start the membership over, as a new segment's does (and the sweep finishes it after a crash). */
    async update(id: string, patch: SegmentPatch): Promise<SegmentView> {
      const current = await find(id);
      if (patch.filter && current.type !== 'dynamic') throw new BadRequestError('A static segment has no filter or q: give its user_ids.', 'invalid_body');
      if (patch.user_ids && current.type !== 'static') throw new BadRequestError('A dynamic segment has no user_ids: give its filter or q.', 'invalid_body');
      const members = patch.user_ids ? { user_ids: [...new Set(patch.user_ids)] } : {};
      const recalculate = Boolean(patch.filter || patch.user_ids);
      const updated = await repository.update(id, { ...patch, ...members, updated_at: new Date() }, recalculate);
      if (!updated) throw new SegmentNotFoundError();
      if (recalculate) calculateSoon(updated);
      else void registry.refresh().catch((err: Error) => logger.warn({ err: { message: err.message } }, 'could not re-read the saved segments; the next refresh will'));
      return view(updated);
    },

    async remove(id: string): Promise<void> {
      if (!(await repository.remove(id))) throw new SegmentNotFoundError();
      await users.collection.updateMany({ 'facts.segments': id }, { $pull: { 'facts.segments': id } } as never);
      await registry.refresh();
    },
  };
}
