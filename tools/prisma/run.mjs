#!/usr/bin/env node
// Runs the Prisma CLI of the current service without native engines.
// Why: the CLI downloads engine binaries at start-up unless these two variables name existing
// files, and that download server is unreachable here (and unneeded: prisma.config.ts uses the
// WASM schema engine and a driver adapter). See tools/prisma/NATIVE-ENGINES-NOT-USED.
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const placeholder = fileURLToPath(new URL('./NATIVE-ENGINES-NOT-USED', import.meta.url));
const require = createRequire(`${process.cwd()}/package.json`);
const cli = require.resolve('prisma/build/index.js');
const result = spawnSync(process.execPath, [cli, ...process.argv.slice(2)], {
  stdio: 'inherit',
  env: {
    ...process.env,
    PRISMA_SCHEMA_ENGINE_BINARY: placeholder,
    PRISMA_QUERY_ENGINE_LIBRARY: placeholder,
    PRISMA_HIDE_UPDATE_MESSAGE: '1',
    CHECKPOINT_DISABLE: '1', // no telemetry call home
  },
});
process.exit(result.status ?? 1);
