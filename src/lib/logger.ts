import { pino, type Logger } from 'pino';

export type { Logger };

// Anything that could carry a credential is removed before a line is written.
const REDACT = [
  'req.headers.authorization', 'req.headers.cookie', 'res.headers["set-cookie"]',
  '*.password', '*.client_secret', '*.access_token', '*.refresh_token', '*.id_token', '*.code', '*.code_verifier',
];

export function createLogger(level: string): Logger {
  return pino({ level, base: { service: 'insole' }, redact: { paths: REDACT, censor: '[redacted]' } });
}
