import type { UserDoc } from '../../users/user.model.ts';
import type { Lifecycle } from '../lifecycle/lifecycle-state.ts';
import { resolveAge, type AgeSource } from './age-resolution.ts';
import { readFacebook } from './facebook-sources.ts';
import { readEnrichment, type Enrichment } from './fullcontact-sources.ts';
import { resolveGender } from './gender.ts';
import { matchInterestKeys, type InterestVocabulary } from './interest-vocabulary.ts';
import { collectInterests } from './interests.ts';
import { resolvePlace } from './location.ts';
import { readSentiment, type SentimentThresholds } from './sentiment-facts.ts';
import { xHandleOf } from './x-handle.ts';

/**
 * What reports and segments query, derived from the profile alone and stored under `facts` on the
 * user document (indexed; never part of the Auth0-shaped profile). Absent means unknown.
 */
export interface UserFacts {
  /** Lower case; 'male' | 'female' | another word as the source gave it. */
  gender?: string;
  /** Possible birth dates [born_from, born_to), 00:00 UTC: an age range is a range on these. */
  born_from?: Date;
  born_to?: Date;
  /** Which source the birth dates came from. */
  age_source?: AgeSource;
  /** Normalised topics (lower case): FullContact interests and topics, Facebook likes and their categories. */
  interests: string[];
  /** The vocabulary keys (`insight.interests`) the topics match. */
  interest_keys: string[];
  /** ISO 3166-1 alpha-2 when known, else the country name as given. */
  country?: string;
  city?: string;
  /** The X handle, lower case, without @. */
  x_handle?: string;
  sentiment_label?: string;
  sentiment_score?: number;
  /** The user's distinct connections, primary first. */
  connections: string[];
  email_verified: boolean;
  /** FullContact: matched, no match, or waiting for its first check (a verified email only); absent when enrichment is off and nothing is stored. */
  enrichment?: 'matched' | 'no_match' | 'pending';
  computed_at: Date;
}

/** The stored `facts`: the profile's facts, plus the lifecycle kept by sign-ins and the sweep. */
export interface StoredFacts extends UserFacts {
  lifecycle?: Lifecycle;
  /** Ids of the saved dynamic segments the user is in (kept with every write, src/insight/segments). */
  segments?: string[];
  /**
   * Weeks since sign-up (0 = the sign-up week, by whole 7-day periods from created_at) in which the
   * user signed in; the retention cohorts are counted from it. Kept by sign-ins; the newest 104.
   */
  active_weeks?: number[];
}

export interface DeriveOptions {
  vocabulary: InterestVocabulary;
  now: Date;
  /** FullContact enrichment is on (hooks.fullcontact.enabled): users with a verified email and no check yet are pending. */
  enrichmentEnabled?: boolean;
  /** hooks.sentiment's thresholds, to label scores a rule stored without a label. */
  sentimentThresholds?: SentimentThresholds;
}

function enrichmentState(user: UserDoc, enrichment: Enrichment, enabled: boolean): UserFacts['enrichment'] {
  if (enrichment.status) return enrichment.status; // the last check's word, even over an older answer still stored
  if (enrichment.present) return 'matched'; // a rule stores an answer only when FullContact knew the shopper
  // FullContact is asked about verified addresses only (fullcontact.hook.ts): an unverified one waits for nothing.
  return enabled && user.email && user.email_verified === true ? 'pending' : undefined;
}

/** The facts of a profile. Pure: the same profile, vocabulary and `now` give the same facts. */
export function deriveFacts(user: UserDoc, { vocabulary, now, enrichmentEnabled = false, sentimentThresholds }: DeriveOptions): UserFacts {
  const enrichment = readEnrichment(user);
  const facebook = readFacebook(user);
  const interests = collectInterests(enrichment, facebook);
  const sentiment = readSentiment(user, sentimentThresholds);
  const facts: UserFacts = {
    gender: resolveGender(user, facebook, enrichment),
    ...resolveAge(user, enrichment, facebook, now),
    interests,
    interest_keys: matchInterestKeys(interests, vocabulary),
    ...resolvePlace(enrichment, facebook),
    x_handle: xHandleOf(user, enrichment),
    sentiment_label: sentiment.label,
    sentiment_score: sentiment.score,
    connections: [...new Set((user.identities ?? []).map((i) => i.connection))],
    email_verified: user.email_verified === true,
    enrichment: enrichmentState(user, enrichment, enrichmentEnabled),
    computed_at: now,
  };
  return Object.fromEntries(Object.entries(facts).filter(([, v]) => v !== undefined)) as unknown as UserFacts;
}
