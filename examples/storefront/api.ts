import { createHash } from 'node:crypto';
import { Router, type Request, type Response } from 'express';
import { createRemoteJWKSet, errors, jwtVerify, type JWTPayload } from 'jose';
import type { Discover } from './insole-client.ts';

const REQUIRED_SCOPE = 'read:orders';
const REALM = 'innovashoes-orders';

/**
 * The shop's API: accepts only insole access tokens for `audience`, checked offline against
 * insole's published keys (no call to insole per request; jose caches the JWKS and refetches it
 * when a token names an unknown key, so key rotation just works).
 */
export function ordersApi(audience: string, discover: Discover): Router {
  const router = Router();
  let verifier: Promise<(token: string) => Promise<JWTPayload>> | undefined;

  function verifyAccessToken(token: string) {
    verifier ??= discover().then((config) => {
      const { issuer, jwks_uri } = config.serverMetadata();
      const jwks = createRemoteJWKSet(new URL(jwks_uri!));
      return async (jwt: string) => (await jwtVerify(jwt, jwks, {
        issuer,
        audience,
        algorithms: ['RS256'], // never 'none', never HS256 with the public key as the secret
        typ: 'at+jwt', // RFC 9068: an ID token (typ JWT) is not an access token
        requiredClaims: ['sub', 'exp'],
      })).payload;
    }, (err: unknown) => { verifier = undefined; throw err; });
    return verifier.then((verify) => verify(token));
  }

  router.get('/api/orders', async (req, res) => {
    const token = bearerTokenOf(req);
    // RFC 6750 §3.1: a request without credentials gets a bare challenge, no error code.
    if (!token) return challenge(res, 401, 'Send an insole access token: Authorization: Bearer <token>.');
    let claims: JWTPayload;
    try {
      claims = await verifyAccessToken(token);
    } catch (err) {
      // A JWKS that cannot be fetched is our outage, not a bad token: let it become a 500.
      if (!(err instanceof errors.JOSEError) || err instanceof errors.JWKSTimeout) throw err;
      return challenge(res, 401, 'The access token is invalid or has expired.', 'invalid_token');
    }
    const scopes = typeof claims.scope === 'string' ? claims.scope.split(' ') : [];
    if (!scopes.includes(REQUIRED_SCOPE)) {
      return challenge(res, 403, `The access token lacks the ${REQUIRED_SCOPE} scope.`, 'insufficient_scope');
    }
    res.set('cache-control', 'no-store').json({ sub: claims.sub, orders: sampleOrdersFor(claims.sub!) });
  });

  return router;
}

function bearerTokenOf(req: Request): string | undefined {
  const match = /^Bearer +([A-Za-z0-9\-._~+/]+=*)$/i.exec(req.get('authorization') ?? '');
  return match?.[1];
}

function challenge(res: Response, status: 401 | 403, description: string, error?: 'invalid_token' | 'insufficient_scope') {
  const params = [`realm="${REALM}"`];
  if (error) params.push(`error="${error}"`, `error_description="${description}"`);
  if (error === 'insufficient_scope') params.push(`scope="${REQUIRED_SCOPE}"`);
  res.status(status).set('www-authenticate', `Bearer ${params.join(', ')}`)
    .json({ error: error ?? 'unauthorized', error_description: description });
}

const CATALOGUE = [
  { sku: 'TMP-RUN-42', name: 'Tempo Runner', price: 129 },
  { sku: 'TRL-GRP-43', name: 'Trail Grip GTX', price: 159 },
  { sku: 'CTY-WLK-41', name: 'City Walker', price: 89 },
  { sku: 'SCK-MRN-3P', name: 'Merino running socks (3 pairs)', price: 24 },
];

/** Made-up orders, the same every time for a given shopper. */
export function sampleOrdersFor(sub: string) {
  const seed = createHash('sha256').update(sub).digest();
  return [0, 1].map((n) => {
    const item = CATALOGUE[(seed[0] + n) % CATALOGUE.length];
    const quantity = 1 + (seed[n + 2] % 2);
    return {
      id: `ord_${seed.subarray(n * 4, n * 4 + 4).toString('hex')}`,
      placed_at: new Date(Date.UTC(2025, seed[n + 4] % 12, 1 + (seed[n + 6] % 28))).toISOString().slice(0, 10),
      status: n === 0 ? 'delivered' : 'shipped',
      items: [{ sku: item.sku, name: item.name, quantity, unit_price: item.price }],
      total: { amount: item.price * quantity, currency: 'EUR' },
    };
  });
}
