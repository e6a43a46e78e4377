import { CliError } from './cli/cli-database.ts';
import { ConfigError } from './config/load-config.ts';
import { DatabaseConnectError } from './db/connect.ts';
import { EmbeddedMongoUnavailable } from './db/embedded-mongo.ts';
import { KeyEncryptionKeyMismatch } from './oidc/signing-keys.ts';

/**
 * Errors whose message tells the operator what to change (a setting, a folder, another key): npm
 * start and the CLI print that message alone, without a stack. One list for both, so a mistake one
 * of them learns to name in a line the other does not print as a crash.
 */
const OPERATOR_MISTAKES = [ConfigError, EmbeddedMongoUnavailable, DatabaseConnectError, KeyEncryptionKeyMismatch, CliError];

export function isOperatorMistake(err: unknown): err is Error {
  return OPERATOR_MISTAKES.some((mistake) => err instanceof mistake);
}
