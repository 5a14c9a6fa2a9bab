// Global setup of the whole test run: every test that starts a service as a process (the
// fixtures, the multi-replica and SIGKILL tests, the local clusters, the short proof) runs its
// production build, so it is built here first, from the sources being tested — never a stale
// dist/. Each service's Prisma client is generated first when a clean clone has none yet.
import { generatePrismaClient } from '@anypod/platform/testing/service-database';
import { bundleService } from '../build/bundle.ts';
import { SERVICE_NAMES, serviceDir } from '../cluster/paths.ts';

export default async function setup(): Promise<void> {
  for (const service of SERVICE_NAMES) {
    generatePrismaClient(serviceDir(service), { onlyIfMissing: true });
    await bundleService(service);
  }
}
