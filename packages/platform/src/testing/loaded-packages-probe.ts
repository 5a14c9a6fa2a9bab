// Preloaded into a service process under test (NODE_OPTIONS=--import <this file>): every module
// the process resolves, imported or required, passes through this hook, and at exit one line on
// stderr lists the npm packages they came from:
//   loaded-packages: ["@fastify/cors", "@opentelemetry/api", ...]
// so a test can check what a configuration loads at all (tracing off: no OpenTelemetry SDK).
// Plain erasable TypeScript with no imports of its own but Node's, so Node runs it as it is.
import { writeSync } from 'node:fs';
import { registerHooks } from 'node:module';

const packages = new Set<string>();

registerHooks({
  resolve(specifier, context, nextResolve) {
    const resolved = nextResolve(specifier, context);
    // pnpm: …/node_modules/.pnpm/<id>/node_modules/<name>/…, so the last node_modules/ names the package.
    const at = resolved.url.lastIndexOf('/node_modules/');
    if (at >= 0) {
      const [scopeOrName, name] = resolved.url.slice(at + '/node_modules/'.length).split('/');
      packages.add(scopeOrName?.startsWith('@') ? `${scopeOrName}/${name}` : (scopeOrName ?? ''));
    }
    return resolved;
  },
});

process.on('exit', () => writeSync(2, `loaded-packages: ${JSON.stringify([...packages].sort())}\n`));
