// The contract rules every service gets from the platform (openapi.ts, problem.ts,
// method-not-allowed.ts, the Ajv options), on a small app of their own — each one a defect
// Schemathesis found in the three documents: errors documented as application/json while sent
// as problem+json, unknown query parameters accepted, 428 undocumented, undeclared methods
// answered 404 instead of 405 + Allow.
import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import openapi from '../src/openapi.ts';
import problem, { HttpProblem, problemResponses } from '../src/problem.ts';
import security from '../src/security.ts';
import { serverOptions } from '../src/server-options.ts';
import { undocumented } from '../src/testing/openapi-contract.ts';

const closed = (properties: Record<string, unknown>, required: string[] = []) => ({ type: 'object', properties, required, additionalProperties: false });
const Thing = { type: 'object', properties: { id: { type: 'string' } } };

async function demoApp(routes: (app: FastifyInstance) => void): Promise<FastifyInstance> {
  const app = Fastify(serverOptions({ logLevel: 'silent', service: 'demo', podName: 'demo-0' }));
  await app.register(problem);
  // CORS answers OPTIONS on every path (its preflight route): that alone must not make a path known.
  await app.register(security, { corsOrigins: 'http://localhost:5173' });
  await app.register(openapi, { service: 'demo', prefix: '/demo', description: 'contract test' });
  routes(app);
  await app.ready();
  return app;
}

let app: FastifyInstance;
let doc: Parameters<typeof undocumented>[0];
beforeAll(async () => {
  app = await demoApp((a) => {
    a.get('/demo/things', { schema: { querystring: closed({ page: { type: 'integer' } }), response: { 200: { type: 'object', properties: { items: { type: 'array' } } } } } }, async () => ({ items: [] }));
    a.get('/demo/plain', { schema: { response: { 200: Thing } } }, async () => ({ id: 'p' }));
    // A route that takes GET and finds nothing under its wildcard hands the request to not-found.
    a.get('/demo/files/*', { schema: { hide: true } }, async (_request, reply) => reply.callNotFound());
    // What Postgres answers to a NUL in text (the adapter puts the SQLSTATE in cause.code).
    a.get('/demo/unstorable', { schema: { response: { 200: Thing } } }, async () => {
      throw new Error('invalid byte sequence', { cause: { code: '22021' } });
    });
    // A 503 thrown without a Retry-After, as a library's error would be.
    a.get('/demo/busy', { schema: { response: { 200: Thing } } }, async () => {
      throw Object.assign(new Error('pool exhausted'), { statusCode: 503 });
    });
    a.post('/demo/things', {
      schema: {
        security: [{ bearer: [] }],
        headers: { type: 'object', properties: { 'idempotency-key': { type: 'string', minLength: 8 } }, required: ['idempotency-key'] },
        body: closed({ name: { type: 'string' }, tags: { type: 'array', items: closed({ label: { type: 'string' } }) } }, ['name']),
        response: { 201: Thing, ...problemResponses(409) },
      },
    }, async (_request, reply) => reply.code(201).send({ id: 'new' }));
    a.get('/demo/things/:id', { schema: { params: closed({ id: { type: 'string' } }, ['id']), response: { 200: Thing, ...problemResponses(404) } } }, async () => {
      throw new HttpProblem(404, 'no such thing');
    });
    a.patch('/demo/things/:id', {
      schema: {
        params: closed({ id: { type: 'string' } }, ['id']),
        headers: { type: 'object', properties: { 'if-match': { type: 'string' } }, required: ['if-match'] },
        body: closed({ name: { type: 'string' } }),
        response: { 200: Thing, ...problemResponses(412, 428) },
      },
    }, async () => ({ id: 'x' }));
  });
  doc = (await app.inject({ method: 'GET', url: '/demo/openapi.json' })).json();
});
afterAll(() => app?.close());

/** The answer, after checking the document describes it for this operation. */
async function call(method: string, url: string, documentedAs: string, extra: { headers?: Record<string, string>; payload?: string | object } = {}) {
  const res = await app.inject({ method: method as 'GET', url, ...extra });
  expect(undocumented(doc, method, documentedAs, res), res.body).toBeNull();
  return res;
}

describe('error answers are problem+json and documented on every operation', () => {
  it('documents no error status under application/json, and the shared ones on every operation', () => {
    for (const [path, operations] of Object.entries(doc.paths)) {
      for (const [method, operation] of Object.entries(operations)) {
        const responses = operation.responses ?? {};
        for (const [status, response] of Object.entries(responses)) {
          if (Number(status) >= 400) expect(Object.keys(response.content ?? {}), `${method} ${path} ${status}`).toEqual(['application/problem+json']);
        }
        expect(Object.keys(responses), `${method} ${path}`).toEqual(expect.arrayContaining(['400', '500', '503']));
        expect(responses['503']?.headers, `${method} ${path}`).toHaveProperty('retry-after');
      }
    }
    expect(Object.keys(doc.paths['/demo/things']!.post!.responses!)).toEqual(expect.arrayContaining(['401', '409', '413', '415']));
    expect(Object.keys(doc.paths['/demo/things']!.get!.responses!)).not.toContain('401');
  });

  it('a thrown HttpProblem, a validation error and an unparsable body are each sent as documented', async () => {
    expect((await call('GET', '/demo/things/a', '/demo/things/{id}')).statusCode).toBe(404);
    expect((await call('GET', '/demo/things?page=two', '/demo/things')).statusCode).toBe(400);
    const bad = await call('POST', '/demo/things', '/demo/things', { headers: { 'idempotency-key': 'k-12345678', 'content-type': 'application/json' }, payload: '{"name":' });
    expect(bad.statusCode).toBe(400);
    const unsupported = await call('POST', '/demo/things', '/demo/things', { headers: { 'idempotency-key': 'k-12345678', 'content-type': 'text/csv' }, payload: 'a,b' });
    expect(unsupported.statusCode).toBe(415);
  });
});

describe('text the database cannot store', () => {
  it('is the request’s fault: 400, never a 500', async () => {
    const res = await call('GET', '/demo/unstorable', '/demo/unstorable');
    expect(res.statusCode).toBe(400);
  });
});

describe('every 503 says when to retry, as documented', () => {
  it('a 503 thrown without Retry-After still sends one', async () => {
    const res = await call('GET', '/demo/busy', '/demo/busy');
    expect(res.statusCode).toBe(503);
    expect(Number(res.headers['retry-after'])).toBeGreaterThanOrEqual(1);
  });
});

describe('the API keeps the strictest CSP', () => {
  it('sends exactly default-src, base-uri, form-action and frame-ancestors, all none', async () => {
    const res = await app.inject({ method: 'GET', url: '/demo/plain' });
    expect(res.headers['content-security-policy']).toBe("default-src 'none';base-uri 'none';form-action 'none';frame-ancestors 'none'");
  });
});

describe('unknown properties are rejected with 400 naming them', () => {
  it.each([
    ['GET', '/demo/things?page=1&colour=red', '/demo/things', undefined, 'colour'],
    // A route that declares no query parameters takes none.
    ['GET', '/demo/plain?debug=1', '/demo/plain', undefined, 'debug'],
    ['POST', '/demo/things', '/demo/things', { name: 'a', colour: 'red' }, 'colour'],
    ['POST', '/demo/things', '/demo/things', { name: 'a', tags: [{ label: 'x', weight: 2 }] }, 'tags.0.weight'],
  ] as const)('%s %s', async (method, url, path, payload, field) => {
    const res = await call(method, url, path, { headers: { 'idempotency-key': 'k-12345678' }, ...(payload ? { payload } : {}) });
    expect(res.statusCode).toBe(400);
    expect(res.json().errors).toEqual([expect.objectContaining({ field })]);
  });

  it('the body is not coerced (false is not the string "false"); the query still is ("2" is 2)', async () => {
    const body = await call('POST', '/demo/things', '/demo/things', { headers: { 'idempotency-key': 'k-12345678' }, payload: { name: false } });
    expect(body.statusCode).toBe(400);
    expect(body.json().errors).toEqual([expect.objectContaining({ field: 'name' })]);
    expect((await call('GET', '/demo/things?page=2', '/demo/things')).statusCode).toBe(200);
  });

  it('a path id up to 256 characters reaches its schema; a longer one is the documented 414', async () => {
    expect((await call('GET', `/demo/things/${'a'.repeat(256)}`, '/demo/things/{id}')).statusCode).toBe(404);
    expect((await call('GET', `/demo/things/${'a'.repeat(257)}`, '/demo/things/{id}')).statusCode).toBe(414);
  });

  it('extra request headers stay allowed (proxies and browsers add their own)', async () => {
    const res = await call('POST', '/demo/things', '/demo/things', { headers: { 'idempotency-key': 'k-12345678', 'x-anything': '1' }, payload: { name: 'a' } });
    expect(res.statusCode).toBe(201);
  });
});

describe('required headers', () => {
  it('a missing If-Match is 428 naming it; a missing Idempotency-Key is 400 naming it', async () => {
    const patch = await call('PATCH', '/demo/things/a', '/demo/things/{id}', { payload: { name: 'b' } });
    expect(patch.statusCode).toBe(428);
    expect(patch.json().errors).toEqual([{ field: 'if-match', message: 'is required' }]);
    const post = await call('POST', '/demo/things', '/demo/things', { payload: { name: 'b' } });
    expect(post.statusCode).toBe(400);
    expect(post.json().errors).toEqual([expect.objectContaining({ field: 'idempotency-key' })]);
    expect(doc.paths['/demo/things/{id}']!.patch).toMatchObject({ parameters: expect.arrayContaining([expect.objectContaining({ in: 'header', name: 'if-match', required: true })]) });
  });
});

describe('an undeclared method on a known path', () => {
  it.each([
    ['PUT', '/demo/things', 'GET, HEAD, POST, OPTIONS'],
    ['TRACE', '/demo/things/a', 'GET, HEAD, PATCH, OPTIONS'],
    ['DELETE', '/demo/plain?x=1', 'GET, HEAD, OPTIONS'],
    // A method Fastify reads a body for, sent without Content-Type: the body is never wanted.
    ['QUERY', '/demo/things', 'GET, HEAD, POST, OPTIONS'],
  ])('%s %s is 405 problem+json with Allow: %s', async (method, url, allow) => {
    const res = await app.inject({ method: method as 'PUT', url });
    expect(res.statusCode).toBe(405);
    expect(res.headers.allow).toBe(allow);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.json()).toMatchObject({ status: 405, title: 'Method Not Allowed' });
  });

  it('a route that takes the method but finds nothing answers 404, not 405', async () => {
    const res = await app.inject({ method: 'GET', url: '/demo/files/missing.txt' });
    expect(res.statusCode).toBe(404);
    expect(res.headers.allow).toBeUndefined();
  });

  it('an unknown path stays 404, whatever the method', async () => {
    for (const method of ['GET', 'TRACE', 'PUT', 'QUERY'] as const) {
      const res = await app.inject({ method, url: '/demo/nothing-here' });
      expect(res.statusCode).toBe(404);
      expect(res.headers.allow).toBeUndefined();
    }
  });
});

describe('startup guards keep the next route exact', () => {
  it('refuses a body that would accept unknown properties', async () => {
    const open = demoApp((a) => a.post('/demo/open', { schema: { body: { type: 'object', properties: { a: { type: 'string' } } } } }, async () => ({})));
    await expect(open).rejects.toThrow(/additionalProperties: false/);
  });

  it('refuses an error status not described as problem+json', async () => {
    const plain = demoApp((a) => a.get('/demo/plain', { schema: { response: { 404: { $ref: 'Problem#' } } } }, async () => ({})));
    await expect(plain).rejects.toThrow(/problemResponses\(404\)/);
  });
});
