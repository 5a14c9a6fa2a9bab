// Process entry only: everything else is in app.ts. Telemetry starts before anything else is
// imported so its instrumentations can patch http, undici, pg and ioredis as they load.
import { startTelemetry } from '@anypod/platform/telemetry';

const telemetry = await startTelemetry('cart');
const { runService } = await import('@anypod/platform/run-service');
const { cartConfig } = await import('./config.ts');
await runService({ config: cartConfig, telemetry, loadApp: async () => (await import('./app.ts')).default });
