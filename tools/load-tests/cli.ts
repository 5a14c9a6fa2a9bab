// `make load-tests`: every k6 script (load-tests/NN-*.ts) bundled into out/load-tests/<name>.js and
// checked for what k6 cannot load; or only the check, on bundles made elsewhere.
//   node --import tsx tools/load-tests/cli.ts [--outdir DIR]
//   node --import tsx tools/load-tests/cli.ts --check FILE.js...
import { relative } from 'node:path';
import { parseFlags, parseOrUsage, UsageError } from '../config/cli-input.ts';
import { bundleAll, LoadTestBuildError, OUT_DIR } from './bundle.ts';
import { checkBundle, formatProblems } from './check-bundle.ts';

const USAGE = 'usage: node --import tsx tools/load-tests/cli.ts [--outdir DIR] | --check FILE.js...';

/** The flags, and the files after --check (and only there): bad input exits 2 with the usage line. */
function readCommandLine() {
  const input = parseFlags({ options: { outdir: { type: 'string' }, check: { type: 'boolean', default: false } }, allowPositionals: true });
  if (input.values.check && input.positionals.length === 0) throw new UsageError('--check needs the bundles to check');
  if (!input.values.check && input.positionals.length > 0) throw new UsageError(`unexpected argument(s) ${input.positionals.join(' ')} (every load-tests/NN-*.ts is bundled)`);
  return input;
}
const input = parseOrUsage(readCommandLine, USAGE);
if (!input) process.exit(2);
const { values, positionals } = input;

try {
  if (values.check) {
    let failed = 0;
    for (const file of positionals) {
      const problems = await checkBundle(file);
      if (problems.length > 0) failed++;
      console.log(problems.length === 0 ? `load-tests: ${file}: k6 can load it` : formatProblems(file, problems));
    }
    if (failed > 0) throw new LoadTestBuildError(`${failed} of ${positionals.length} bundles have what k6 cannot load`);
  } else {
    const started = performance.now();
    const bundles = await bundleAll({ outdir: values.outdir ?? OUT_DIR, log: (line) => console.log(line) });
    console.log(`load-tests: ${bundles.length} bundles in ${relative(process.cwd(), values.outdir ?? OUT_DIR) || '.'} in ${((performance.now() - started) / 1000).toFixed(1)} s; run one with: k6 run -e BASE_URL=http://localhost:8080 ${relative(process.cwd(), bundles[0]!.out)}`);
  }
} catch (error) {
  if (!(error instanceof LoadTestBuildError)) throw error;
  console.error(`load-tests: ${error.message}`);
  process.exit(1);
}
