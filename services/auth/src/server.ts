// Process entry only: everything else is in app.ts. Telemetry starts before anything else is
// imported so its instrumentations can patch http, pg and ioredis as they load.
import { startTelemetry } from '@anypod/platform/telemetry';

const telemetry = await startTelemetry('auth');
const { runService } = await import('@anypod/platform/run-service');
const { authConfig } = await import('./config.ts');
await runService({ config: authConfig, telemetry, loadApp: async () => (await import('./app.ts')).default });
