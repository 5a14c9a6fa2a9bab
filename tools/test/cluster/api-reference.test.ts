// The API reference page of every service (packages/platform/src/api-reference.ts), opened the way
// a reader would: headless Chromium at ${prefix}/docs through a local cluster's Ingress. Each page
// shows every operation of the service's own OpenAPI document, loads nothing from another origin,
// breaks no rule of its Content-Security-Policy, logs no error, and its "try it out" gets a real
// answer from the API.
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from '../chromium.ts';
import { startCluster } from '../../cluster/cluster.ts';
import type { Cluster, ServiceName } from '../../cluster/types.ts';

const SCREENSHOTS = resolve(dirname(fileURLToPath(import.meta.url)), '../../../out/api-reference');
const SERVICES: ServiceName[] = ['auth', 'catalog', 'cart'];
const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];

let runDir: string;
let cluster: Cluster;
let browser: Browser;

beforeAll(async () => {
  // Before the cluster: without Chromium the test fails at once, naming the package.
  browser = await launchChromium('the reference pages are tested in a real browser');
  runDir = await mkdtemp(join(tmpdir(), 'anypod-api-reference-'));
  // One replica per service: the page is the same on every replica, and the machine is shared.
  cluster = await startCluster({ replicas: 1, ingressPort: 0, runDir, env: { LOG_LEVEL: 'warn', LOGIN_RATE_LIMIT_PER_MINUTE: '100000' } });
}, 240_000);

afterAll(async () => {
  await browser?.close();
  await cluster?.stop();
  if (runDir) await rm(runDir, { recursive: true, force: true });
});

interface OpenapiDocument {
  info: { title: string };
  paths: Record<string, Record<string, unknown>>;
}

/** "GET /catalog/products" for every operation of the document. */
function operations(doc: OpenapiDocument): string[] {
  return Object.entries(doc.paths)
    .flatMap(([path, item]) => Object.keys(item).filter((key) => METHODS.includes(key)).map((method) => `${method.toUpperCase()} ${path}`))
    .sort();
}

async function documentOf(service: ServiceName): Promise<OpenapiDocument> {
  const res = await fetch(`${cluster.ingressUrl}/${service}/openapi.json`);
  expect(res.status).toBe(200);
  return (await res.json()) as OpenapiDocument;
}

/** What a reader's browser did while the page was open: everything that would show a problem. */
interface Opened {
  page: Page;
  csp: string;
  requests: string[];
  failedRequests: string[];
  errorResponses: string[];
  consoleErrors: string[];
  pageErrors: string[];
  cspViolations: () => Promise<string[]>;
}

async function openReference(service: ServiceName): Promise<Opened> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  // Every violation of the page's CSP, as the page itself sees it (the console also reports them).
  // A string: it runs in the page, whose DOM types this Node project does not load.
  await page.addInitScript(`window.cspViolations = [];
    document.addEventListener('securitypolicyviolation', (e) => window.cspViolations.push(e.effectiveDirective + ' blocked ' + e.blockedURI));`);
  const opened: Opened = {
    page,
    csp: '',
    requests: [],
    failedRequests: [],
    errorResponses: [],
    consoleErrors: [],
    pageErrors: [],
    cspViolations: () => page.evaluate<string[]>('window.cspViolations'),
  };
  page.on('request', (r) => opened.requests.push(`${r.method()} ${r.url()}`));
  page.on('requestfailed', (r) => opened.failedRequests.push(`${r.method()} ${r.url()}: ${r.failure()?.errorText ?? '?'}`));
  page.on('response', (r) => r.status() >= 400 && opened.errorResponses.push(`${r.status()} ${r.request().method()} ${r.url()}`));
  page.on('console', (m) => m.type() === 'error' && opened.consoleErrors.push(m.text()));
  page.on('pageerror', (e) => opened.pageErrors.push(e.message));
  const response = await page.goto(`${cluster.ingressUrl}/${service}/docs`, { waitUntil: 'load' });
  expect(response?.status(), `${service}: the page's status`).toBe(200);
  expect(response?.headers()['content-type']).toBe('text/html; charset=utf-8');
  opened.csp = response?.headers()['content-security-policy'] ?? '';
  return opened;
}

/**
 * The operations the page shows, as "GET /catalog/products", once it has shown `expected` of them.
 * A page that never gets there says why: what the browser refused or reported meanwhile.
 */
async function shownOperations(o: Opened, expected: number): Promise<string[]> {
  const blocks = o.page.locator('#swagger-ui .opblock');
  try {
    await expect.poll(() => blocks.count(), { timeout: 30_000, message: 'operations shown' }).toBe(expected);
  } catch (error) {
    const meanwhile = { cspViolations: await o.cspViolations(), consoleErrors: o.consoleErrors, pageErrors: o.pageErrors, failedRequests: o.failedRequests, errorResponses: o.errorResponses };
    throw new Error(`${(error as Error).message}; meanwhile: ${JSON.stringify(meanwhile)}`, { cause: error });
  }
  const shown = await blocks.evaluateAll((elements) =>
    elements.map((el) => {
      const method = el.querySelector('.opblock-summary-method')?.textContent ?? '?';
      const path = el.querySelector('.opblock-summary-path')?.getAttribute('data-path') ?? '?';
      return `${method.toUpperCase()} ${path}`;
    }),
  );
  return shown.sort();
}

/** Everything a reader would notice going wrong, or a request leaving this origin. */
async function expectQuiet(service: ServiceName, o: Opened): Promise<void> {
  const origin = new URL(cluster.ingressUrl).origin;
  expect(o.requests.filter((r) => new URL(r.split(' ')[1] ?? '').origin !== origin), `${service}: requests to another origin`).toEqual([]);
  expect(o.failedRequests, `${service}: failed requests`).toEqual([]);
  expect(o.errorResponses, `${service}: answers of 400 or more`).toEqual([]);
  expect(await o.cspViolations(), `${service}: CSP violations`).toEqual([]);
  expect(o.consoleErrors, `${service}: console errors`).toEqual([]);
  expect(o.pageErrors, `${service}: page errors`).toEqual([]);
}

describe('API reference pages through the Ingress', { tags: ['timing'] }, () => {
  for (const service of SERVICES) {
    it(`${service}: /${service}/docs shows every operation of /${service}/openapi.json, from this origin only, with no error`, async () => {
      const doc = await documentOf(service);
      const expected = operations(doc);
      expect(expected.length, `${service}: operations in the document`).toBeGreaterThan(2);
      // The page and its files are not part of the API it documents.
      expect(Object.keys(doc.paths).filter((p) => p.includes('/docs')), `${service}: reference routes in the document`).toEqual([]);

      const o = await openReference(service);
      expect(await shownOperations(o, expected.length)).toEqual(expected);
      await expect.poll(() => o.page.locator('#swagger-ui .info .title').textContent()).toContain(doc.info.title);
      // The page read the service's own document, the one Schemathesis and client generators read.
      expect(o.requests).toContain(`GET ${cluster.ingressUrl}/${service}/openapi.json`);
      // The relaxed policy is the page's only: still no inline script, eval or other host.
      expect(o.csp).toMatch(/^default-src 'none';/);
      expect(o.csp).toContain("script-src 'self';");
      expect(o.csp).not.toMatch(/unsafe-inline|unsafe-eval|https:|\*/);
      await mkdir(SCREENSHOTS, { recursive: true });
      await o.page.screenshot({ path: join(SCREENSHOTS, `${service}.png`), fullPage: false });
      await expectQuiet(service, o);
      await o.page.context().close();
    });
  }

  it('catalog: "Try it out" on GET /catalog/products gets 200 and the page shows it', async () => {
    const o = await openReference('catalog');
    const operation = o.page.locator('#swagger-ui .opblock-get').filter({ has: o.page.locator('.opblock-summary-path[data-path="/catalog/products"]') });
    await operation.locator('.opblock-summary').click();
    await operation.locator('button.try-out__btn').click();
    const answered = o.page.waitForResponse((r) => r.request().method() === 'GET' && new URL(r.url()).pathname === '/catalog/products', { timeout: 30_000 });
    await operation.locator('button.execute').click();
    const response = await answered;
    expect(response.status()).toBe(200);
    expect(response.headers()['x-served-by']).toMatch(/^catalog-/);
    const body = (await response.json()) as { items: unknown[] };
    expect(Array.isArray(body.items)).toBe(true);
    // What the reader sees: the live response's status code.
    await expect.poll(() => operation.locator('.live-responses-table tr.response .response-col_status').first().textContent(), { timeout: 10_000 }).toContain('200');
    await expectQuiet('catalog', o);
    await o.page.context().close();
  });

  it("the API's own answers keep the strict policy; the assets revalidate; no other file of the package is served", async () => {
    const api = await fetch(`${cluster.ingressUrl}/catalog/products`);
    expect(api.status).toBe(200);
    await api.arrayBuffer();
    const page = await fetch(`${cluster.ingressUrl}/catalog/docs`);
    await page.arrayBuffer();
    const apiCsp = api.headers.get('content-security-policy') ?? '';
    expect(apiCsp).toMatch(/^default-src 'none';/);
    expect(apiCsp).not.toContain('connect-src');
    expect(apiCsp).not.toBe(page.headers.get('content-security-policy'));
    // A reader's second visit costs a 304, not the 1.7 MB bundle again.
    const bundle = `${cluster.ingressUrl}/catalog/docs/assets/swagger-ui-bundle.js`;
    const first = await fetch(bundle);
    expect((await first.arrayBuffer()).byteLength).toBeGreaterThan(1_000_000);
    const again = await fetch(bundle, { headers: { 'if-none-match': first.headers.get('etag') ?? 'none' } });
    await again.arrayBuffer();
    expect(again.status).toBe(304);
    for (const file of ['index.html', 'swagger-ui.js.map', 'swagger-initializer.js', 'package.json']) {
      const res = await fetch(`${cluster.ingressUrl}/catalog/docs/assets/${file}`);
      await res.arrayBuffer();
      expect(res.status, file).toBe(404);
    }
  });
});
