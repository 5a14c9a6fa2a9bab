// `make load-tests`: every k6 script (load-tests/NN-*.ts) bundled into out/load-tests/<name>.js and
// checked for what k6 cannot load; or only the check, on bundles made elsewhere.
//   node --import tsx tools/load-tests/cli.ts [--outdir DIR]
//   node --import tsx tools/load-tests/cli.ts --check FILE.js...
import { relative } from 'node:path';
import { parseArgs } from 'node:util';
import { bundleAll, LoadTestBuildError, OUT_DIR } from './bundle.ts';
import { checkBundle, formatProblems } from './check-bundle.ts';

const { values, positionals } = parseArgs({
  options: { outdir: { type: 'string' }, check: { type: 'boolean', default: false } },
  allowPositionals: true,
});

try {
  if (values.check) {
    if (positionals.length === 0) throw new LoadTestBuildError('--check needs the bundles to check');
    let failed = 0;
    for (const file of positionals) {
      const problems = await checkBundle(file);
      if (problems.length > 0) failed++;
      console.log(problems.length === 0 ? `load-tests: ${file}: k6 can load it` : formatProblems(file, problems));
    }
    if (failed > 0) throw new LoadTestBuildError(`${failed} of ${positionals.length} bundles have what k6 cannot load`);
  } else {
    if (positionals.length > 0) throw new LoadTestBuildError(`unexpected argument(s) ${positionals.join(' ')} (every load-tests/NN-*.ts is bundled)`);
    const started = performance.now();
    const bundles = await bundleAll({ outdir: values.outdir ?? OUT_DIR, log: (line) => console.log(line) });
    console.log(`load-tests: ${bundles.length} bundles in ${relative(process.cwd(), values.outdir ?? OUT_DIR) || '.'} in ${((performance.now() - started) / 1000).toFixed(1)} s; run one with: k6 run -e BASE_URL=http://localhost:8080 ${relative(process.cwd(), bundles[0]!.out)}`);
  }
} catch (error) {
  if (!(error instanceof LoadTestBuildError)) throw error;
  console.error(`load-tests: ${error.message}`);
  process.exit(1);
}
