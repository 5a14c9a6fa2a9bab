// Prints, after vitest's own summary, how long each project took (wall clock, first file started
// to last file ended: the projects run in groups one after another, see vitest.config.ts), then
// one plain closing line — "tests: N passed, N failed" — the format CI log readers recognise for
// any runner.
import type { Reporter, TestModule } from 'vitest/node';

export default class SummaryReporter implements Reporter {
  private readonly spans = new Map<string, { start: number; end: number }>();

  onTestModuleStart(module: TestModule) {
    const name = module.project.name;
    const span = this.spans.get(name);
    if (!span) this.spans.set(name, { start: Date.now(), end: Date.now() });
  }

  onTestModuleEnd(module: TestModule) {
    const span = this.spans.get(module.project.name);
    if (span) span.end = Date.now();
  }

  onTestRunEnd(testModules: ReadonlyArray<TestModule>, unhandledErrors: ReadonlyArray<unknown>) {
    let passed = 0;
    let failed = unhandledErrors.length;
    let skipped = 0;
    for (const module of testModules) {
      let failedHere = 0;
      for (const test of module.children.allTests()) {
        const state = test.result().state;
        if (state === 'passed') passed++;
        else if (state === 'failed') failedHere++;
        else skipped++;
      }
      // A file that failed outside its tests (an import, a beforeAll) left them skipped: it counts
      // as a failure of its own, or the summary would call a suite that never ran "skipped".
      failed += failedHere > 0 ? failedHere : module.state() === 'failed' ? 1 : 0;
    }
    const spans = [...this.spans].sort(([, a], [, b]) => a.start - b.start);
    if (spans.length > 0) {
      process.stdout.write('\ntime per project (wall clock):\n');
      for (const [name, { start, end }] of spans) process.stdout.write(`  ${name.padEnd(12)} ${((end - start) / 1000).toFixed(1).padStart(6)} s\n`);
    }
    process.stdout.write(`\ntests: ${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}\n`);
  }
}
