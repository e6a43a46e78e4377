import type { Config } from '../../config/schema.ts';
import { createFullContactClient } from '../../integrations/fullcontact.client.ts';
import { createSentimentClient } from '../../integrations/sentiment.client.ts';
import { createXApiClient } from '../../integrations/x-api.client.ts';
import type { OutboundHttp } from '../../integrations/http-dispatcher.ts';
import type { UserChanges } from '../../users/user-changes.ts';
import type { DurableHook } from '../jobs/durable-hook.ts';
import { createFullContactHook } from './fullcontact.hook.ts';
import { createSentimentHook, type SentimentSource } from './sentiment.hook.ts';
import { createHookUserWrites } from './user-metadata.ts';

/** The built-in hooks that are enabled (the schema checked that each has its credentials). */
export function createBuiltinHooks(config: Config['hooks'], changes: UserChanges, http: OutboundHttp): DurableHook[] {
  const writes = createHookUserWrites(changes);
  const hooks: DurableHook[] = [];
  const { fullcontact, sentiment } = config;
  if (fullcontact.enabled) {
    hooks.push(createFullContactHook(fullcontact, createFullContactClient({ apiKey: fullcontact.api_key!, baseUrl: fullcontact.base_url, http }), writes));
  }
  if (sentiment.enabled) {
    const source: SentimentSource = sentiment.mode === 'remote'
      ? { mode: 'remote', client: createSentimentClient({ url: sentiment.remote_url!, secret: sentiment.secret!, http }) }
      : { mode: 'builtin', client: createXApiClient({ bearerToken: sentiment.x_bearer_token!, baseUrl: sentiment.x_base_url, maxResults: sentiment.max_tweets, http }) };
    hooks.push(createSentimentHook(sentiment, source, writes));
  }
  return hooks;
}
