// `make build`: the production build of every service (or of those named), with each bundle's size.
//   node --import tsx tools/build/cli.ts [auth] [catalog] [cart]
import { performance } from 'node:perf_hooks';
import { SERVICE_NAMES as SERVICES } from '../cluster/paths.ts';
import type { ServiceName } from '../cluster/types.ts';
import { bundleService } from './bundle.ts';

const asked = process.argv.slice(2);
const unknown = asked.filter((name) => !SERVICES.includes(name as ServiceName));
if (unknown.length > 0) {
  console.error(`build: unknown service(s) ${unknown.join(', ')}; choose from ${SERVICES.join(', ')}`);
  process.exit(2);
}
for (const service of asked.length > 0 ? (asked as ServiceName[]) : SERVICES) {
  const started = performance.now();
  const { outdir, files } = await bundleService(service);
  const total = files.reduce((sum, f) => sum + f.bytes, 0);
  console.log(`build: ${service} → ${outdir} (${files.length} files, ${(total / 1024).toFixed(0)} KiB) in ${((performance.now() - started) / 1000).toFixed(1)} s`);
}
