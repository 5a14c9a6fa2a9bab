// Brings swagger-ui-dist's declaration into every program that compiles this file (the services'
// too, whose tsconfig includes only their own src).
// eslint-disable-next-line @typescript-eslint/triple-slash-reference
/// <reference path="./swagger-ui-dist.d.ts" />
// The API reference page at ${prefix}/docs: Swagger UI reading the service's own
// ${prefix}/openapi.json, so the page and the contract can never disagree, with "try it" requests
// going to this same origin. Every file comes from the swagger-ui-dist package and is served by the
// service itself (under the prefix, so through the Ingress too): the page needs no CDN and no
// network beyond this origin. The page's own script is a file, not inline, so it runs under a CSP
// with script-src 'self' (security.ts: referencePageHelmet, the only exception to the API's CSP).
// None of these routes appears in the OpenAPI document.
import { access } from 'node:fs/promises';
import { join } from 'node:path';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
// The package's main module would load the whole browser bundle into Node; this only names its folder.
import swaggerUiDir from 'swagger-ui-dist/absolute-path.js';
import { referencePageHelmet } from './security.ts';

export interface ApiReferenceOptions {
  service: string;
  /** public URL prefix of the service behind the Ingress, e.g. /auth */
  prefix: string;
}

/** The only files of swagger-ui-dist the page loads; nothing else in the package is served. */
const ASSETS = ['swagger-ui-bundle.js', 'swagger-ui.css', 'favicon-32x32.png'] as const;

/** `${prefix}/docs` and what hangs under it: the page, its script and the package's assets. */
export function referencePaths(prefix: string) {
  const page = `${prefix}/docs`;
  return { page, init: `${page}/init.js`, assets: `${page}/assets/` };
}

/** The page: Swagger UI's stylesheet and bundle, then the script that starts it, all from this origin. */
function pageHtml(service: string, paths: ReturnType<typeof referencePaths>): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>anypod ${service} — API reference</title>
<link rel="icon" type="image/png" href="${paths.assets}favicon-32x32.png">
<link rel="stylesheet" href="${paths.assets}swagger-ui.css">
</head>
<body>
<div id="swagger-ui"></div>
<script src="${paths.assets}swagger-ui-bundle.js"></script>
<script src="${paths.init}"></script>
</body>
</html>
`;
}

/** Starts Swagger UI on the service's own document. */
function initScript(prefix: string): string {
  const config = {
    url: `${prefix}/openapi.json`,
    dom_id: '#swagger-ui',
    // One URL per operation (#/tag/operationId), to link a colleague to it.
    deepLinking: true,
    displayRequestDuration: true,
    // No call to validator.swagger.io (the CSP would refuse it anyway).
    validatorUrl: null,
    // Never take another document's URL from the page's query string (?url=…).
    queryConfigEnabled: false,
    // A token typed into "Authorize" lives in this tab only, not in localStorage.
    persistAuthorization: false,
  };
  return `window.ui = SwaggerUIBundle(${JSON.stringify(config)});\n`;
}

async function apiReference(fastify: FastifyInstance, opts: ApiReferenceOptions) {
  // Both end up in markup and script: only a plain path segment and name are accepted.
  if (!/^\/[a-z0-9-]+$/.test(opts.prefix) || !/^[a-z0-9-]+$/.test(opts.service)) {
    throw new Error(`api-reference: prefix ${JSON.stringify(opts.prefix)} / service ${JSON.stringify(opts.service)} must be lowercase path segments`);
  }
  const root = swaggerUiDir();
  // Fail at start, not on a reader's first visit, if the installed package lacks a file.
  await Promise.all(ASSETS.map((file) => access(join(root, file))));
  const paths = referencePaths(opts.prefix);
  const html = pageHtml(opts.service, paths);
  const init = initScript(opts.prefix);

  fastify.get(paths.page, { schema: { hide: true }, helmet: referencePageHelmet }, async (_request, reply) => reply.type('text/html; charset=utf-8').send(html));
  fastify.get(paths.init, { schema: { hide: true } }, async (_request, reply) => reply.type('text/javascript; charset=utf-8').send(init));
  // One route per file, so any other path under assets/ is a plain 404 (no route) and nothing else
  // of the package is reachable. @fastify/static only lends reply.sendFile (content type, ETag,
  // HEAD, ranges), inside this encapsulated context: the rest of the service never sees it.
  await fastify.register(async (assets) => {
    await assets.register(fastifyStatic, { root, serve: false });
    for (const file of ASSETS) {
      assets.get(`${paths.assets}${file}`, { schema: { hide: true } }, (_request, reply) => reply.sendFile(file));
    }
  });
}

export default fp(apiReference, { name: 'api-reference', fastify: '5.x', dependencies: ['@fastify/helmet'] });
