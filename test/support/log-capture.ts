import { symbols } from 'pino';
import { createLogger, type Logger } from '../../src/lib/logger.ts';

/**
 * insole's own logger (same level handling and redaction as in production), writing its lines to
 * memory instead of stdout, so a test can check what reached the logs.
 */
export function captureLogs(level = 'debug'): { logger: Logger; lines: string[] } {
  const lines: string[] = [];
  const logger = createLogger(level);
  // pino keeps its destination under a public symbol; the per-request child loggers inherit it.
  (logger as unknown as Record<symbol, unknown>)[symbols.streamSym] = { write: (line: string) => void lines.push(line) };
  return { logger, lines };
}
