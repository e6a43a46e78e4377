import { launchBrowser, type TestBrowser } from './browser.ts';
import { startTestInsole, type TestInsole } from './insole.ts';
import { trustCertificate } from './sdk-tenant.ts';
import { startSpaShop, type SpaShop } from './spa-shop.ts';
import { selfSignedCertificate, startTlsProxy } from './tls-proxy.ts';

/** The SPA's client at insole: public (PKCE), its popup page the one redirect_uri. */
export const POPUP_CLIENT_ID = 'spa-shop';

export interface PopupShop {
  /** https://localhost:<proxy port>: insole behind a TLS proxy, as the SDK needs a secure origin. */
  issuer: string;
  insole: TestInsole;
  /** Its `popup` page calls auth0-spa-js loginWithPopup() against insole. */
  spa: SpaShop;
  browser: TestBrowser;
  /** The proxy's certificate, for another browser to trust. */
  trust: string;
  close(): Promise<void>;
}

/**
 * An auth0-spa-js shop whose sign-in is loginWithPopup(), insole behind TLS and a Chromium trusting
 * both. `settings`: insole's config beside the issuer and the SPA's client; `clients`: more clients.
 */
export async function startPopupShop(settings: Record<string, unknown> = {}, clients: unknown[] = []): Promise<PopupShop> {
  const started: { close(): Promise<void> }[] = [];
  try {
    const certificate = await selfSignedCertificate();
    trustCertificate(certificate);
    const proxy = await startTlsProxy(certificate);
    started.push(proxy);
    const issuer = `https://localhost:${proxy.port}`;
    const spa = await startSpaShop(certificate, { popup: { domain: `localhost:${proxy.port}`, issuer, clientId: POPUP_CLIENT_ID, authorizationParams: { scope: 'openid profile email' } } });
    started.push(spa);
    const insole = await startTestInsole({
      issuer, trust_proxy: 'loopback', ...settings,
      clients: [{
        client_id: POPUP_CLIENT_ID, client_name: 'SPA Shop', token_endpoint_auth_method: 'none',
        redirect_uris: [spa.url('popup')], grant_types: ['authorization_code'],
      }, ...clients],
    });
    started.push({ close: () => insole.stop() });
    proxy.forwardTo(insole.url);
    const browser = await launchBrowser({ trust: certificate.cert });
    started.push(browser);
    const close = async () => { for (const part of [...started].reverse()) await part.close(); };
    return { issuer, insole, spa, browser, trust: certificate.cert, close };
  } catch (err) {
    for (const part of [...started].reverse()) await part.close().catch(() => undefined);
    throw err;
  }
}
