// `npm run insole -- --help`: every command and its options (insole.ts refuses any other option).
export const USAGE = `Usage: npm run -s insole -- <command> [options]   (-s: npm prints no banner, so stdout holds only the output)

Commands (each takes the options shown with it; any other is refused):
  clients create --name NAME --redirect-uri URL [--redirect-uri URL …] [--post-logout-uri URL …]
                 [--id CLIENT_ID] [--public] [--third-party]
                 [--backchannel-logout-uri URL [--backchannel-logout-session-required true|false]]
                 Registers a relying party and prints its client secret once. With a back-channel
                 logout URI (https; http only for localhost outside production) it is sent a logout
                 token when a session it signed in to ends; sid is required unless set to false.
  clients update --id CLIENT_ID [--name NAME] [--redirect-uri URL …] [--post-logout-uri URL …]
                 [--backchannel-logout-uri URL|""] [--backchannel-logout-session-required true|false]
                 Changes a client stored in the database (lists given replace the stored ones;
                 --backchannel-logout-uri "" stops back-channel logout). Running instances use it at once.
  clients create --m2m --scopes read:users,read:logs [--audience API] [--name NAME] [--id CLIENT_ID]
                 Registers a machine-to-machine client (client_credentials, secret in the form) granted
                 these scopes of the Management API (/api/v2), or of the API in config (apis) whose
                 identifier is --audience, and prints its client secret once.
  clients list   Lists clients stored in the database and their grants (clients from config files are not listed).
  keys rotate [--activate-in SECONDS]
                 Publishes a new signing key at once; it signs after signing_keys.activate_after_seconds
                 (or SECONDS), and the old ones stay in the JWKS until their tokens expire. Running
                 instances pick it up within signing_keys.refresh_seconds: no restart.
  keys list      Lists signing keys (public part only) and their state.
  keys revoke --kid KID
                 Takes a compromised key out of the JWKS at once (not the one that signs: rotate first).
  keys reseal    Seals again with INSOLE_KEY_ENCRYPTION_KEY every secret at rest that a key of
                 INSOLE_PREVIOUS_KEY_ENCRYPTION_KEYS sealed (signing keys, client secrets, social
                 provider tokens); safe while serving, and again. Prints counts, and whether a previous
                 key is still needed (exit code 1 while one is). Run with the servers' keys: refused
                 while an instance seen in the last 3 signing_keys.refresh_seconds seals with another.
  keys dashboard-secret --replace
                 Writes a new client secret for the dashboard (insole-dashboard), sealed; never printed.
                 Instances read it at start: restart every instance after it (until all have, a
                 dashboard sign-in may fail with "Sign-in unavailable").
  users unblock --email ADDRESS
                 Lifts the brute-force blocks of a user (the IPs in blocked_for).
  users unlink --email ADDRESS --connection google-oauth2|facebook|twitter
                 Removes a linked (secondary) social identity from a user.
  users grant-admin --email ADDRESS [--role ROLE]
                 Gives a user a dashboard role (app_metadata.roles; default admin; roles in config dashboard.roles).
  users export [--format json|csv] [--fields user_id,email,user_metadata.country,…] [--output FILE]
               [--connection NAME] [--limit N]
                 Writes users as the export job does (json: NDJSON, one user per line; csv: Auth0's
                 escaping), to FILE (created, never overwritten; it appears only when complete, mode 0600)
                 or stdout; no secrets, no gzip.
  users import --file FILE [--upsert]
                 Imports users as the import job does (a JSON array in Auth0's bulk-import format,
                 or NDJSON such as an export); prints each refused record, exits 1 if any was.
  reindex        Computes every user's facts again (after changing insight.interests or the lifecycle
                 windows, or for users stored before insight existed), with a progress bar; saved
                 segments are re-evaluated and real changes recorded as events. Safe while serving.
  seed --users N [--seed S] [--months M] [--now ISO] [--append] [--force]
                 Creates N made-up InnovaShoes shoppers for demos and benchmarks: the connection mix,
                 FullContact enrichment, Facebook likes, X handles and sentiment, sign-in histories over
                 M months (12) up to --now (now) with their facts and lifecycle, and the log events of the
                 last 90 days. The same --seed (1) and --now give the same shoppers; addresses are
                 @*.example. Writes straight to MongoDB: no hook runs and nothing is published to
                 RabbitMQ. Refused with NODE_ENV=production (unless --force), and when the database
                 already has more than a few users (unless --append).
  report segment [--gender male] [--age 20-40] [--interest fitness …] [--country DE …] [--connection NAME]
                 [--lifecycle STATE] [--filter JSON]
                 The users of a segment (the segment filter language; all options must hold): email, name,
                 user_id, gender, age_min, age_max, country, city, interests_matched, connection.
  report dormant [--mode never_returned|inactive] [--days N] [--connection NAME]
                 [--created-from DATE] [--created-to DATE]
                 never_returned: not back after the sign-up session, signed up at least N days ago
                 (default insight.lifecycle.new_days); inactive: came back once, no sign-in for N days
                 (default dormant_days). Oldest sign-up first.
  report sentiment [--label negative|neutral|positive]
                 Users whose tweets were analysed, most negative first.
  Every report: [--format csv|ndjson] (default csv) [--output FILE [--force]]
                 The Management API's rows and CSV escaping, every row, to FILE (never replaced
                 without --force; it appears, or replaces the old one, only when complete, mode 0600)
                 or stdout; the row count goes to stderr.`;
