// The API reference page at ${prefix}/docs: Swagger UI reading the service's own
// ${prefix}/openapi.json, so the page and the contract can never disagree, with "try it" requests
// going to this same origin. Every file comes from the swagger-ui-dist package and is served by the
// service itself (under the prefix, so through the Ingress too): the page needs no CDN and no
// network beyond this origin. The page's own script is a file, not inline, so it runs under a CSP
// with script-src 'self' (security.ts: referencePageHelmet, the only exception to the API's CSP).
// None of these routes appears in the OpenAPI document.
// Brings swagger-ui-dist's declaration into every program that compiles this file (the services'
// too, whose tsconfig includes only their own src).
// eslint-disable-next-line @typescript-eslint/triple-slash-reference
/// <reference path="./swagger-ui-dist.d.ts" />
import { createReadStream } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
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

/** The only files of swagger-ui-dist the page loads, with their types; nothing else of the package is served. */
const ASSETS = {
  'swagger-ui-bundle.js': 'text/javascript; charset=utf-8',
  'swagger-ui.css': 'text/css; charset=utf-8',
  'favicon-32x32.png': 'image/png',
} as const;

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
  const paths = referencePaths(opts.prefix);
  const html = pageHtml(opts.service, paths);
  const init = initScript(opts.prefix);

  fastify.get(paths.page, { schema: { hide: true }, helmet: referencePageHelmet }, async (_request, reply) => reply.type('text/html; charset=utf-8').send(html));
  fastify.get(paths.init, { schema: { hide: true } }, async (_request, reply) => reply.type('text/javascript; charset=utf-8').send(init));
  // One route per file: any other path under assets/ has no route (404). Each file is streamed
  // from the package's folder; the browser keeps it and revalidates with its ETag: the package's
  // version and the file's size (npm gives every file the same mtime, so that tells nothing).
  // Stat'ed here, so a package that lacks a file stops the service at start, not on a reader's visit.
  const { version } = JSON.parse(await readFile(join(root, 'package.json'), 'utf8')) as { version: string };
  for (const [file, type] of Object.entries(ASSETS)) {
    const path = join(root, file);
    const { size } = await stat(path);
    const etag = `"${version}-${size.toString(16)}"`;
    fastify.get(`${paths.assets}${file}`, { schema: { hide: true } }, async (request, reply) => {
      reply.header('cache-control', 'no-cache').header('etag', etag);
      if (request.headers['if-none-match'] === etag) return reply.code(304).send();
      return reply.type(type).header('content-length', size).send(createReadStream(path));
    });
  }
}

export default fp(apiReference, { name: 'api-reference', fastify: '5.x', dependencies: ['security'] });
