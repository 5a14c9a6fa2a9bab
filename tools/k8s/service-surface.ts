// What each service declares about itself, read from the real thing: its exported ServiceConfig,
// and its app built as the services' own tests build it (services/*/test/helper.ts: the app
// plugin on a Fastify instance, configured with the test infra's settings), with every route it
// registers collected and its OpenAPI document fetched with app.inject from the URL the platform
// serves it at (packages/platform/src/openapi.ts: ${prefix}/openapi.json, hidden from itself).
// The contract checks (contract.ts) compare these with the rendered chart.
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { authConfig } from '@anypod/auth/config';
import { cartConfig } from '@anypod/cart/config';
import { catalogConfig } from '@anypod/catalog/config';
import { loadConfig, serverOptions, type ServiceConfig } from '@anypod/platform';
import { testEnv } from '@anypod/platform/testing/env';
import type { RouteInfo, ServiceSurface } from './contract.ts';
import { REPO_ROOT } from './render.ts';
import type { ServiceComponent } from './workloads.ts';

// Each config's rules take its own service's values; here they are handled as configs in general.
export const SERVICE_CONFIGS = { auth: authConfig, catalog: catalogConfig, cart: cartConfig } as unknown as Record<ServiceComponent, ServiceConfig>;

// The smallest part of Fastify this module uses; Fastify itself is loaded from the service's own
// dependencies (tools does not depend on it), so the app runs on exactly the Fastify it ships with.
interface App {
  addHook(name: 'onRoute', hook: (route: { method: string | string[]; url: string }) => void): void;
  register(plugin: unknown, options: unknown): Promise<unknown>;
  ready(): Promise<unknown>;
  inject(request: { method: string; url: string }): Promise<{ statusCode: number; body: string }>;
  close(): Promise<unknown>;
}

/**
 * Settings to start each app with: the test infra's Postgres and Redis URLs (testEnv) and
 * addresses no request is ever sent to (token verification and catalog calls happen per request).
 * Building the apps and reading their routes opens no connection (Prisma and ioredis connect
 * lazily, verified with both URLs pointing at a closed port), so this needs no running infra.
 */
const START_ENV: Record<ServiceComponent, Record<string, string>> = {
  auth: {},
  catalog: { AUTH_JWKS_URL: 'http://127.0.0.1:9/auth/.well-known/jwks.json' },
  cart: { AUTH_JWKS_URL: 'http://127.0.0.1:9/auth/.well-known/jwks.json', CATALOG_URL: 'http://127.0.0.1:9' },
};

async function load<T>(serviceDir: string, specifier: string): Promise<T> {
  const resolved = createRequire(join(serviceDir, 'package.json')).resolve(specifier);
  const module = (await import(pathToFileURL(resolved).href)) as { default: T };
  return module.default;
}

/** Builds one service's app and reads its surface; the app is closed again before returning. */
export async function serviceSurface(component: ServiceComponent): Promise<ServiceSurface> {
  const serviceDir = join(REPO_ROOT, 'services', component);
  const config = SERVICE_CONFIGS[component];
  const values = loadConfig(config, { ...testEnv(), POD_NAME: `${component}-contract`, ...START_ENV[component] }) as { LOG_LEVEL: string };
  const fastify = await load<(options: unknown) => App>(serviceDir, 'fastify');
  const fp = await load<(plugin: unknown) => unknown>(serviceDir, 'fastify-plugin');
  const appPlugin = ((await import(pathToFileURL(join(serviceDir, 'src/app.ts')).href)) as { default: unknown }).default;

  const app = fastify(serverOptions({ logLevel: values.LOG_LEVEL as 'silent', service: component, podName: `${component}-contract` }));
  const routes: RouteInfo[] = [];
  app.addHook('onRoute', (route) => {
    for (const method of [route.method].flat()) routes.push({ method, url: route.url });
  });
  try {
    await app.register(fp(appPlugin), { config: values });
    await app.ready();
    const documentRoute = routes.find((r) => r.method === 'GET' && r.url.endsWith('/openapi.json'));
    if (!documentRoute) throw new Error(`${component} registers no GET …/openapi.json route (packages/platform/src/openapi.ts)`);
    const response = await app.inject({ method: 'GET', url: documentRoute.url });
    if (response.statusCode !== 200) throw new Error(`${component}: GET ${documentRoute.url} answered ${response.statusCode}`);
    const document = JSON.parse(response.body) as { paths?: Record<string, unknown> };
    const hasMigrations = existsSync(join(serviceDir, 'prisma/migrations'));
    return { component, config, routes, openapiUrl: documentRoute.url, openapiPaths: Object.keys(document.paths ?? {}), hasMigrations };
  } finally {
    await app.close();
  }
}

/** Every service's surface, built one after another (each app opens its own pools). */
export async function serviceSurfaces(): Promise<ServiceSurface[]> {
  const surfaces: ServiceSurface[] = [];
  for (const component of Object.keys(SERVICE_CONFIGS) as ServiceComponent[]) surfaces.push(await serviceSurface(component));
  return surfaces;
}
