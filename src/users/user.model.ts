import type { LogDoc } from '../logs/log.model.ts';
import { Schema, type Connection, type Model } from 'mongoose';
import type { StoredFacts } from '../insight/facts/user-facts.ts';

export interface Identity {
  provider: string;
  user_id: string;
  connection: string;
  isSocial: boolean;
  profileData?: Record<string, unknown>;
  /** The provider's tokens, sealed (AES-256-GCM). Never returned by any endpoint. */
  sealed_tokens?: { iv: string; tag: string; data: string };
}

export interface UserDoc {
  user_id: string;
  email?: string;
  email_verified: boolean;
  name?: string;
  nickname?: string;
  given_name?: string;
  family_name?: string;
  picture?: string;
  locale?: string;
  // From social providers when granted: the Twitter handle (sentiment), Facebook's demographics (segments).
  screen_name?: string;
  gender?: string;
  birthday?: string;
  location?: string;
  likes?: { id: string; name: string; category?: string }[];
  identities: Identity[];
  created_at: Date;
  updated_at: Date;
  last_login?: Date;
  last_ip?: string;
  logins_count: number;
  blocked: boolean;
  blocked_for: { identifier: string; ip?: string }[];
  user_metadata: Record<string, unknown>;
  app_metadata: Record<string, unknown>;
  password_hash?: string;
  /** Derived for reports and segments (src/insight); never part of the Auth0 profile. */
  facts?: StoredFacts;
  /** Insight events (lifecycle, segment enter/exit) written with the change that caused them, until the relay takes them. */
  pending_events?: PendingEvent[];
  /** The `s`/`ss` log of the login this write counted, until it is moved (logs/log-outbox.ts). */
  pending_logs?: LogDoc[];
  /** The primary user a link is moving this one into (admin/account-linking.ts), until it is deleted. */
  linked_to?: string;
}

/** An event that belongs to a user write: it is moved to the event outbox after the write, never lost in between. */
export interface PendingEvent { id: string; type: string; at: Date; data: Record<string, unknown> }

// Auth0's user profile, field names verbatim: they are the contract with migrating teams and BI tools.
const identitySchema = new Schema<Identity>({
  provider: { type: String, required: true },
  user_id: { type: String, required: true },
  connection: { type: String, required: true },
  isSocial: { type: Boolean, required: true },
  profileData: { type: Schema.Types.Mixed },
  sealed_tokens: { type: Schema.Types.Mixed, select: false },
}, { _id: false });

const blockedForSchema = new Schema({
  identifier: { type: String, required: true },
  ip: { type: String },
}, { _id: false });

const userSchema = new Schema<UserDoc>({
  user_id: { type: String, required: true, unique: true },
  // Unique and sparse: stored lower-cased and trimmed; never stored as null so users without email don't collide.
  email: { type: String, unique: true, sparse: true },
  email_verified: { type: Boolean, default: false },
  name: { type: String },
  nickname: { type: String },
  given_name: { type: String },
  family_name: { type: String },
  picture: { type: String },
  locale: { type: String },
  screen_name: { type: String },
  gender: { type: String },
  birthday: { type: String },
  location: { type: String },
  likes: { type: [new Schema({ id: String, name: String, category: String }, { _id: false })], default: undefined },
  identities: { type: [identitySchema], default: [] },
  created_at: { type: Date, required: true },
  updated_at: { type: Date, required: true },
  last_login: { type: Date },
  last_ip: { type: String },
  logins_count: { type: Number, default: 0 },
  blocked: { type: Boolean, default: false },
  blocked_for: { type: [blockedForSchema], default: [] },
  user_metadata: { type: Schema.Types.Mixed, default: () => ({}) },
  app_metadata: { type: Schema.Types.Mixed, default: () => ({}) },
  // Secrets: never selected unless asked for, never serialised (see toPublicProfile).
  password_hash: { type: String, select: false },
  facts: { type: Schema.Types.Mixed },
  pending_events: { type: Schema.Types.Mixed, default: undefined },
  pending_logs: { type: Schema.Types.Mixed, default: undefined },
  linked_to: { type: String },
}, { collection: 'users', versionKey: false, minimize: false, strict: 'throw' });

userSchema.index({ 'identities.provider': 1, 'identities.user_id': 1 });
// With user_id second, sorted pages (Admin API: sort, cursor) come straight from the index, ties included.
userSchema.index({ created_at: 1, user_id: 1 });
userSchema.index({ last_login: 1, user_id: 1 });
// GET /api/v2/users?sort=email:1: the unique email index is sparse, and MongoDB does not sort every
// user by a sparse index (users without an email, from X, are not in it), so it would sort them all.
userSchema.index({ email: 1, user_id: 1 });
// Facts (src/insight): what segments and reports filter on; each a small index, sparse where most users lack the fact.
userSchema.index({ 'facts.lifecycle.state': 1, 'facts.lifecycle.since': 1 });
userSchema.index({ 'facts.interest_keys': 1, 'facts.gender': 1, 'facts.born_from': 1 });
userSchema.index({ 'facts.gender': 1, 'facts.born_from': 1 });
userSchema.index({ 'facts.country': 1, 'facts.city': 1 }, { sparse: true });
userSchema.index({ 'facts.sentiment_label': 1, 'facts.sentiment_score': 1 }, { sparse: true });
userSchema.index({ 'facts.segments': 1 }, { sparse: true });
// Reports (src/reports): the dormant report's states in sign-up order; the sentiment report's most
// negative first, with or without a label (partial: only analysed users are in them); enrichment coverage.
userSchema.index({ 'facts.lifecycle.state': 1, created_at: 1, user_id: 1 });
// The lifecycle sweep's active and lapsing thresholds (state, last_login): on (state, since) it read every active shopper.
userSchema.index({ 'facts.lifecycle.state': 1, last_login: 1 });
const analysed = { partialFilterExpression: { 'facts.sentiment_score': { $exists: true } } };
userSchema.index({ 'facts.sentiment_label': 1, 'facts.sentiment_score': 1, user_id: 1 }, analysed);
userSchema.index({ 'facts.sentiment_score': 1, user_id: 1 }, analysed);
userSchema.index({ 'facts.enrichment': 1 }, { sparse: true });
// A role's holders (GET /api/v2/roles/{id}/users): sparse, as most users hold no role.
userSchema.index({ 'app_metadata.roles': 1 }, { sparse: true });
userSchema.index({ 'pending_events.0.at': 1 }, { sparse: true });
/**
 * Users with insight events waiting, as a range on that index rather than `$exists`: the same users
 * (an event's `at` is always a date after 1970), and a range the dev database's index serves as
 * MongoDB's does, where `$exists` read every user (the relay asks once a second on every instance).
 */
export const HAS_PENDING_EVENTS = { 'pending_events.0.at': { $gte: new Date(0) } };
userSchema.index({ 'pending_logs.0.date': 1 }, { sparse: true });

export type UserModel = Model<UserDoc>;

export function createUserModel(connection: Connection): UserModel {
  return (connection.models.User as UserModel | undefined) ?? connection.model<UserDoc>('User', userSchema);
}
