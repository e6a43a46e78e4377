import { rm, writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { embeddedUriFile } from './cli/cli-database.ts';
import { loadConfig } from './config/load-config.ts';
import { developmentSecretsInUse } from './config/production-checks.ts';
import { startEmbeddedMongo, type EmbeddedMongo } from './db/embedded-mongo.ts';
import { createLogger } from './lib/logger.ts';
import { startInsole } from './insole.ts';
import { isOperatorMistake } from './operator-mistakes.ts';

// Composition root: config → database → insole → signals.
async function main(): Promise<void> {
  const config = loadConfig();
  const logger = createLogger(config.log_level);

  let embedded: EmbeddedMongo | undefined;
  let mongodbUri = config.mongodb_uri;
  if (!mongodbUri) {
    const dataFile = resolve(config.data_dir, 'mongo', 'insole.mv');
    logger.warn({ dataFile }, 'MONGODB_URI is not set: starting the embedded development database (not for production)');
    embedded = await startEmbeddedMongo({ dataFile });
    mongodbUri = `${embedded.uri}/insole`;
    // The data file is locked while we run: the CLI reaches the database through this address.
    await writeFile(embeddedUriFile(config), mongodbUri);
  }
  const developmentSecrets = developmentSecretsInUse(config);
  if (developmentSecrets.length) {
    logger.warn(`using the development secrets from config/default.json: set ${developmentSecrets.join(' and ')} before going live`);
  }

  // A signal while MongoDB is still awaited ends the wait (startInsole then rejects with an AbortError).
  const aborted = new AbortController();
  const starting = startInsole(config, logger, mongodbUri, { signal: aborted.signal });
  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    aborted.abort();
    // The server listens before its areas have started: a signal then waits for the start to finish
    // and stops what it started, rather than ending the process half-way (Node's default for SIGTERM).
    const insole = await starting.catch(() => undefined);
    await insole?.stop();
    if (embedded) await rm(embeddedUriFile(config), { force: true });
    await embedded?.stop();
    logger.info('stopped');
    process.exit(0);
  };
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));

  try {
    await starting;
  } catch (err) {
    if (stopping) return; // the shutdown ended the start, and exits 0
    await embedded?.stop();
    throw err;
  }
  if (!stopping) logger.info(`ready at ${config.issuer} — to sign up as a shopper, run the storefront example (npm run storefront) and open http://localhost:4000`);
}

main().catch((err: unknown) => {
  if (isOperatorMistake(err)) {
    console.error(err.message);
  } else if ((err as NodeJS.ErrnoException).code === 'EADDRINUSE') {
    console.error(`insole cannot listen on port ${(err as { port?: number }).port}: another program uses it. Stop that program, or set PORT to a free port (and ISSUER to match).`);
  } else {
    console.error('insole failed to start:', err);
  }
  process.exit(1);
});
