import { Router } from 'express';
import { freshAccessToken, type Discover } from './insole-client.ts';
import { homePage, ordersPage, sendPage } from './pages.ts';
import { sessionIdOf, type SessionStore } from './session.ts';

/** The pages a shopper sees: home, and "my orders", which calls the API like any other client would. */
export function shopRoutes(baseUrl: string, discover: Discover, sessions: SessionStore): Router {
  const router = Router();

  router.get('/', (req, res) => sendPage(res, 200, homePage(sessions.get(sessionIdOf(req)))));

  router.get('/me/orders', async (req, res) => {
    const id = sessionIdOf(req);
    const accessToken = id && await freshAccessToken(discover, sessions, id);
    if (!accessToken) return res.redirect(303, '/login');
    // Server to server over HTTP with the shopper's token: the API trusts the token, not this page.
    const api = await fetch(`${baseUrl}/api/orders`, {
      headers: { authorization: `Bearer ${accessToken}`, accept: 'application/json' },
      signal: AbortSignal.timeout(5000),
    });
    sendPage(res, api.ok ? 200 : 502, ordersPage(api.status, await api.json()));
  });

  return router;
}
