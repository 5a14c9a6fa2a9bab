// What every service's tests check of its surface in the same way: the 405 a known path answers
// for a method it does not have (Allow, problem+json), and the routes its OpenAPI document lists.
// Written once so the three services' tests cannot drift apart; each answer comes back as plain
// data, so the assertion stays in the test and reads as the behaviour it expects.
import type { FastifyInstance, HTTPMethods } from 'fastify';

/** What `method url` answered: status, Allow, and whether the body is problem+json. */
export async function methodAnswer(app: FastifyInstance, method: HTTPMethods, url: string): Promise<{ status: number; allow: string | undefined; problemJson: boolean }> {
  const res = await app.inject({ method, url });
  const allow = res.headers.allow;
  return {
    status: res.statusCode,
    allow: allow === undefined ? undefined : String(allow),
    problemJson: /^application\/problem\+json/.test(String(res.headers['content-type'] ?? '')),
  };
}

/** The paths the service's OpenAPI document (/<service>/openapi.json) lists, sorted. */
export async function documentedPaths(app: FastifyInstance, service: string): Promise<string[]> {
  const res = await app.inject({ method: 'GET', url: `/${service}/openapi.json` });
  if (res.statusCode !== 200) throw new Error(`/${service}/openapi.json answered ${res.statusCode}: ${res.body}`);
  return Object.keys((res.json() as { paths: Record<string, unknown> }).paths).sort();
}
