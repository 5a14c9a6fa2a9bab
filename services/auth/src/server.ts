// Process entry only: everything else is in app.ts.
import { runService } from '@anypod/platform';
import { AuthConfigSchema } from './config.ts';

await runService({ service: 'auth', configSchema: AuthConfigSchema, loadApp: async () => (await import('./app.ts')).default });
