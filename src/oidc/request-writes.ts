import type { KoaContextWithOIDC } from 'oidc-provider';

/**
 * The upserts an oidc-provider request makes, held until its answer is ready and then sent as one
 * command: the resume's grant, code and session, the token request's access and refresh tokens (one
 * `update` with a statement each, since they share a collection; flow-collection.ts). oidc-provider
 * awaits each save before the next, so without this each is a round trip of its own.
 *
 * Nothing is answered before it is written: the middleware sends the writes after the route (and
 * oidc-provider's session save) and before Koa writes the answer, so the redirect or tokens that
 * reveal the new ids leave only once they are stored, as before; a failed send fails the request
 * (503 from the guard outside it, database-unavailable.ts). Reads within the request see its held
 * writes (`held`), and a write that depends on what is stored (a conditional consume, a delete) sends
 * them first (`send`), so a request sees the same state as with each write sent at once.
 */
export class RequestWrites<T extends { _id: string }> {
  private readonly open = new WeakMap<object, Map<string, T>>();
  private readonly write: (docs: T[]) => Promise<void>;

  constructor(write: (docs: T[]) => Promise<void>) {
    this.write = write;
  }

  /** The writes held for this request, or undefined outside the middleware (they are then sent at once). */
  held(ctx: object | undefined): Map<string, T> | undefined {
    return ctx ? this.open.get(ctx) : undefined;
  }

  /** Sends what this request holds, in the order written. */
  async send(ctx: object | undefined): Promise<void> {
    const docs = this.held(ctx);
    if (!docs?.size) return;
    const batch = [...docs.values()];
    docs.clear();
    await this.write(batch);
  }

  readonly middleware = async (ctx: KoaContextWithOIDC, next: () => Promise<void>): Promise<void> => {
    const docs = new Map<string, T>();
    this.open.set(ctx, docs);
    let failure: { err: unknown } | undefined;
    try {
      await next();
    } catch (err) {
      failure = { err }; // what the request wrote before it failed is still written, as it would have been at once
    }
    this.open.delete(ctx); // a write made from now on (none is expected) goes at once rather than into a batch already sent
    if (docs.size) await this.write([...docs.values()]);
    if (failure) throw failure.err;
  };
}
