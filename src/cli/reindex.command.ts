import type { Connection } from 'mongoose';
import type { Config } from '../config/schema.ts';
import { userWritesFor } from '../core.ts';
import { createLogger } from '../lib/logger.ts';
import { createSegmentRegistry } from '../insight/segments/segment-registry.ts';
import { createSegmentRepository } from '../insight/segments/segment.repository.ts';
import type { UserDoc } from '../users/user.model.ts';
import { createProgressBar, type ProgressOutput } from './progress-bar.ts';

const BATCH = 500;

/**
 * `insole reindex`: every user's facts computed again from the profile, through the same write
 * path every change takes (so lifecycles are brought to now and saved segments re-evaluated, and
 * what really changed is recorded as events). Needed after a change of the interest vocabulary or
 * the lifecycle windows, or for users stored before insight existed. In user_id order, a batch at
 * a time; safe to run while the server serves (each write is conditional on the facts it read).
 */
export async function reindexCommand(connection: Connection, config: Config, output: ProgressOutput = process.stderr): Promise<number> {
  const repository = createSegmentRepository(connection);
  const registry = createSegmentRegistry({ repository, vocabulary: config.insight.interests, logger: createLogger('error') });
  await registry.refresh();
  const { userModel, changes } = userWritesFor(connection, config, () => registry.membership);
  const total = await userModel.estimatedDocumentCount();
  output.write(`Computing the facts of ${total.toLocaleString('en-US')} users again (${registry.size()} saved segments).\n`);
  const progress = createProgressBar(output, { total, unit: 'users' });
  let done = 0;
  let after = '';
  for (;;) {
    const batch = await userModel.collection.find<UserDoc>({ user_id: { $gt: after } }, { sort: { user_id: 1 }, limit: BATCH, projection: { password_hash: 0 } }).toArray();
    for (const user of batch) {
      await changes.apply(user.user_id, { $set: {} }, { kind: 'change', before: user });
      progress.update(++done);
    }
    if (batch.length < BATCH) break;
    after = batch.at(-1)!.user_id;
  }
  progress.finish();
  return done;
}
