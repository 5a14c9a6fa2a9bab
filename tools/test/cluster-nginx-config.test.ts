// The Ingress's own answers (no endpoints, no route, too large) are the services' problem+json
// bodies: rendered from the platform's problemBody, read back here from the config text nginx gets.
import { describe, expect, it } from 'vitest';
import { problemBody } from '@anypod/platform/problem';
import { renderEdgeConfig, renderRouterConfig, type RouteSpec } from '../cluster/nginx-config.ts';

/** Every `return <status> '<json>';` in a config: status → the body nginx answers with. */
function returnedBodies(config: string): { status: number; body: unknown }[] {
  return [...config.matchAll(/return (\d{3}) '(\{.*\})';/g)].map((m) => ({ status: Number(m[1]), body: JSON.parse(m[2] as string) }));
}

const routes: RouteSpec[] = [
  { service: 'auth', prefix: '/auth', servers: [{ name: 'auth-a', port: 41001 }] },
  { service: 'cart', prefix: '/cart', servers: [] },
];

describe('nginx-config: the Ingress answers in the platform problem+json format', () => {
  it("router: 503 for a service with no ready replica, 404 outside every prefix, the same bodies as the services'", () => {
    const bodies = returnedBodies(renderRouterConfig({ dir: '/tmp/x', port: 41000, routing: 'round-robin', generation: 1, routes }));
    expect(bodies).toContainEqual({ status: 503, body: problemBody(503, 'no ready cart replica') });
    expect(bodies).toContainEqual({ status: 404, body: problemBody(404, 'no service is routed at this path') });
    expect(bodies.map((b) => b.status).sort()).toEqual([404, 404, 503, 503, 503]);
  });

  it("edge: 413 and 431 with their standard titles (both from the platform's table)", () => {
    const bodies = returnedBodies(renderEdgeConfig({ dir: '/tmp/x', port: 41010, routerPort: 41000 }));
    expect(bodies).toEqual([
      { status: 413, body: problemBody(413, 'the request body exceeds the Ingress limit of 1 MiB') },
      { status: 431, body: { type: 'about:blank', title: 'Request Header Fields Too Large', status: 431, detail: 'a request header line exceeds the Ingress limit of 8 KiB' } },
    ]);
    expect(bodies.every(({ body }) => (body as { title: string }).title !== 'Error')).toBe(true);
  });
});
