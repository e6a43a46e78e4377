import type { Connection } from 'mongoose';
import type { Config } from '../config/schema.ts';
import { BadRequestError } from '../errors/app-error.ts';

interface ClientUrls { redirect_uris?: string[]; post_logout_redirect_uris?: string[] }

export type ResultUrls = ReturnType<typeof createResultUrls>;

/**
 * Which result_url a ticket may send the shopper to once it is used. Not any https URL: STANDARDS
 * "no open redirects anywhere", and a ticket link on the store's identity domain that lands on a
 * stranger's site is what phishing needs. Only a page of a registered application's own site: the
 * origin (scheme, host and port) of one of its redirect_uris or post_logout_redirect_uris, the
 * client named by client_id when the ticket names one, else any client of the config files or the
 * CLI. The URL is stored with the ticket, so nothing in the shopper's request can change it.
 */
export function createResultUrls(config: Pick<Config, 'clients'>, connection: Connection) {
  const stored = connection.collection<{ _id: string; payload: ClientUrls }>('oidc_client');

  /** The registered URLs of one client (undefined: no such client) or of every client. */
  async function registeredUrls(clientId?: string): Promise<string[] | undefined> {
    const configured = config.clients.filter((client) => clientId === undefined || client.client_id === clientId);
    const fromCli = await stored.find(clientId === undefined ? {} : { _id: clientId }, { projection: { 'payload.redirect_uris': 1, 'payload.post_logout_redirect_uris': 1 } }).toArray();
    const clients: ClientUrls[] = [...configured, ...fromCli.map((record) => record.payload)];
    if (clientId !== undefined && clients.length === 0) return undefined;
    return clients.flatMap((client) => [...(client.redirect_uris ?? []), ...(client.post_logout_redirect_uris ?? [])]);
  }

  return {
    /** Refuses (400) an unknown client_id, and a result_url that is not on a registered application's site. */
    async check(resultUrl: string | undefined, clientId: string | undefined): Promise<void> {
      if (resultUrl === undefined && clientId === undefined) return;
      const registered = await registeredUrls(clientId);
      if (!registered) throw new BadRequestError(`There is no client ${clientId}.`, 'invalid_body');
      if (resultUrl === undefined) return;
      const url = URL.parse(resultUrl);
      if (!url || !/^https?:$/.test(url.protocol) || url.username || url.password) {
        throw new BadRequestError('result_url must be an http or https URL without credentials.', 'invalid_body');
      }
      const origins = new Set(registered.map((uri) => URL.parse(uri)?.origin));
      if (!origins.has(url.origin)) {
        const whose = clientId === undefined ? 'a registered application' : `the client ${clientId}`;
        throw new BadRequestError(`result_url must be on the site of ${whose} (the origin of one of its redirect_uris or post_logout_redirect_uris).`, 'invalid_body');
      }
    },
  };
}
