// The k6 side of the scenarios' HTTP contract: an HttpRequest from @anypod/scenarios becomes one
// k6 http.request, and k6's answer becomes the HttpResponse the journeys read (lower-case header
// names, status 0 with an error when no answer came). Nothing else: requests, retries and
// checks are the scenarios' own, exactly as the Node driver runs them.
import http from 'k6/http';
import { serviceOf } from '@anypod/scenarios/journeys/index';
import { routeOf, type HttpRequest, type HttpResponse } from '@anypod/scenarios/requests';

/** Bound on one attempt when the request asks for none: the Node driver's default too. */
const DEFAULT_TIMEOUT_MS = 5_000;

// k6 keeps a cookie jar per VU and sends what it holds on every request; the journeys handle
// their session cookie themselves (as the Node driver does), so each request gets an empty jar
// of its own and sends exactly the headers the journey built.
export function send(baseUrl: string, request: HttpRequest): HttpResponse {
  const res = http.request(request.method, `${baseUrl}${request.path}`, request.body ?? null, {
    headers: request.headers,
    timeout: Math.max(DEFAULT_TIMEOUT_MS, request.timeoutMs ?? 0),
    jar: new http.CookieJar(),
    // The URL without ids, so a run has one series per route, not one per product or order.
    tags: { name: `${request.method} ${routeOf(request.path)}`, service: serviceOf(request.path) },
  });
  if (res.status === 0) {
    const error = res.error || 'no response';
    // "dial tcp ...: connection refused" or a dial timeout: no byte left, so nothing was applied.
    return { status: 0, headers: {}, body: '', error: res.error_code ? `k6 ${res.error_code}: ${error}` : error, ...(/\bdial\b/.test(error) ? { notSent: true } : {}) };
  }
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(res.headers)) headers[name.toLowerCase()] = value;
  return { status: res.status, headers, body: typeof res.body === 'string' ? res.body : '' };
}
