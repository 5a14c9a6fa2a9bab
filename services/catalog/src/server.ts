// Process entry only: everything else is in app.ts. Telemetry starts before anything else is
// imported so its instrumentations can patch http, pg and ioredis as they load.
import { startTelemetry } from '@anypod/platform/telemetry';

const telemetry = await startTelemetry('catalog');
const { runService } = await import('@anypod/platform/run-service');
const { catalogConfig } = await import('./config.ts');
await runService({ config: catalogConfig, telemetry, loadApp: async () => (await import('./app.ts')).default });
