// Reading a proof report in a test: the local short proof (cluster/proof-short.test.ts) and the
// proof on real pods (kube-cluster/cluster.test.ts) ask the same two things of it.
import type { ProofReport, RunReport } from '../proof/report-types.ts';
import { checkWords } from '../proof/words.ts';

/** The run called `name`; a report without it fails the test that asked. */
export function runNamed(report: ProofReport, name: string): RunReport {
  const found = report.runs.find((run) => run.name === name);
  if (!found) throw new Error(`the report has no run ${name} (it has ${report.runs.map((run) => run.name).join(', ') || 'none'})`);
  return found;
}

/** A run's failed checks, each as its id and the words the report shows for it. */
export const failedChecks = (run: RunReport): string[] => run.checks.filter((check) => !check.pass).map((check) => `${check.id}: ${JSON.stringify(checkWords(check))}`);
