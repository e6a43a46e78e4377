import { createLocalJWKSet, errors, jwtVerify, type JSONWebKeySet } from 'jose';
import { UnauthorizedError } from '../errors/app-error.ts';
import type { PublicJwk } from './live-provider.ts';

/**
 * Verifies insole's own JWT access tokens offline (RFC 9068), as any resource server would: our
 * published keys, the issuer, the audience, expiry, the algorithm pinned to RS256 (no `none`, no
 * HS/RS confusion), and `typ: at+jwt`, so an ID token cannot pass for an access token.
 */
/** What a verified token says: whose it is, the client it was issued to, its scopes. */
export interface VerifiedToken { subject: string; clientId?: string; scopes: ReadonlySet<string> }

/** insole's published keys as jose's key set, rebuilt only after a rotation. */
export function publishedKeySet(publicKeys: () => PublicJwk[]): () => ReturnType<typeof createLocalJWKSet> {
  let keys: PublicJwk[] | undefined;
  let jwks: ReturnType<typeof createLocalJWKSet> | undefined;
  return () => {
    const now = publicKeys();
    if (now !== keys) [keys, jwks] = [now, createLocalJWKSet({ keys: now } as JSONWebKeySet)];
    return jwks!;
  };
}

/** `audience`: the API the token must be for, or the list it must be for one of. */
export function createAccessTokenVerifier({ publicKeys, issuer, audience }: { publicKeys: () => PublicJwk[]; issuer: string; audience: string | string[] }): (token: string) => Promise<VerifiedToken> {
  const currentJwks = publishedKeySet(publicKeys);

  return async (token) => {
    try {
      const { payload } = await jwtVerify(token, currentJwks(), { issuer, audience, algorithms: ['RS256'], typ: 'at+jwt', requiredClaims: ['exp', 'sub'] });
      const scopes = typeof payload.scope === 'string' ? payload.scope.split(' ').filter(Boolean) : [];
      return { subject: payload.sub!, clientId: typeof payload.client_id === 'string' ? payload.client_id : undefined, scopes: new Set(scopes) };
    } catch (err) {
      if (err instanceof errors.JWTExpired) throw new UnauthorizedError('Expired token', 'token_expired', { cause: err });
      if (err instanceof errors.JWTClaimValidationFailed && err.claim === 'aud') throw new UnauthorizedError(`Bad audience: expected ${[audience].flat().join(' or ')}`, 'invalid_token', { cause: err });
      throw new UnauthorizedError('Invalid token', 'invalid_token', { cause: err });
    }
  };
}
