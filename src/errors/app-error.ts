/**
 * The one error base class. `expose` errors are safe to show (4xx: the caller's fault);
 * anything else becomes a generic `server_error` and is only logged.
 */
export class AppError extends Error {
  readonly code: string;
  readonly status: number;
  readonly expose: boolean;

  constructor(code: string, status: number, message: string, options: ErrorOptions & { expose?: boolean } = {}) {
    super(message, { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.status = status;
    this.expose = options.expose ?? status < 500;
  }
}

export class BadRequestError extends AppError {
  constructor(message: string, code = 'invalid_request') { super(code, 400, message); }
}

export class NotFoundError extends AppError {
  constructor(message = 'Not found.') { super('not_found', 404, message); }
}

/** No credentials, or credentials we do not accept (RFC 6750 `invalid_token`). */
export class UnauthorizedError extends AppError {
  constructor(message = 'Invalid token', code = 'invalid_token', options?: ErrorOptions) { super(code, 401, message, options); }
}

/** Good credentials without the right to do this (Auth0's wording). */
export class InsufficientScopeError extends AppError {
  constructor(scopes: readonly string[], { needs = 'any', why }: { needs?: 'any' | 'all'; why?: string } = {}) {
    super('insufficient_scope', 403, `Insufficient scope, expected ${needs} of: ${scopes.join(',')}${why ? `. ${why}` : ''}`);
  }
}

export class ConflictError extends AppError {
  constructor(message: string, code = 'conflict') { super(code, 409, message); }
}

/** The database (or another dependency we cannot work without) is unreachable. */
export class UnavailableError extends AppError {
  constructor(message = 'The service is temporarily unavailable. Please try again shortly.', options?: ErrorOptions) {
    // Not the caller's fault, but the message is safe and tells them what to do.
    super('temporarily_unavailable', 503, message, { ...options, expose: true });
  }
}
