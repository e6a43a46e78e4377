/**
 * A path under a base URL that may carry its own path (an API gateway or egress proxy mounted at
 * `https://gw.example/fullcontact`). `new URL('/v3/x', base)` would not do: an absolute path
 * replaces the base's whole path (WHATWG URL), and a relative one replaces its last segment.
 * The base's query, if any, is kept; `path` is a plain path without a query.
 */
export function joinUrl(base: string | URL, path: string): URL {
  const url = new URL(base);
  url.pathname = `${url.pathname.replace(/\/+$/, '')}/${path.replace(/^\/+/, '')}`;
  return url;
}
