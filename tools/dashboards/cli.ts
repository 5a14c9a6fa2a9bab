// Generates the dashboards' JSON into helm/anypod/dashboards (make dashboards), or checks that the
// committed files are what the code generates (the drift test does the same in make test).
//   node --import tsx tools/dashboards/cli.ts --write   write every dashboard, remove stale files
//   node --import tsx tools/dashboards/cli.ts --check   exit 1 and list the files that differ
//   node --import tsx tools/dashboards/cli.ts --queries list every query with the variables filled in
import { relative } from 'node:path';
import { REPO_ROOT } from '../cluster/paths.ts';
import { committedDashboards, DASHBOARDS_DIR, diffDashboards, writeDashboards } from './index.ts';
import { concreteQueries } from './queries.ts';
import { SERVICE_NAMES } from './panels.ts';

const USAGE = 'usage: node --import tsx tools/dashboards/cli.ts --write | --check | --queries [--namespace NS]';

function main(args: string[]): number {
  const dir = relative(REPO_ROOT, DASHBOARDS_DIR);
  if (args.includes('--write')) {
    const { written, removed } = writeDashboards();
    console.log(`${dir}: wrote ${written.join(', ')}${removed.length ? `; removed stale ${removed.join(', ')}` : ''}`);
    return 0;
  }
  if (args.includes('--check')) {
    const problems = diffDashboards();
    if (problems.length > 0) {
      console.error(`${dir} is out of date with tools/dashboards (run make dashboards):\n  ${problems.join('\n  ')}`);
      return 1;
    }
    console.log(`${dir} matches the code`);
    return 0;
  }
  if (args.includes('--queries')) {
    const at = args.indexOf('--namespace');
    const namespace = at >= 0 ? args[at + 1] : 'anypod';
    if (!namespace) {
      console.error(USAGE);
      return 2;
    }
    for (const q of concreteQueries(committedDashboards(), { namespace, services: SERVICE_NAMES })) console.log(`${q.file} ${q.kind} "${q.name}" ${q.refId}\n  ${q.promql}`);
    return 0;
  }
  console.error(USAGE);
  return 2;
}

process.exit(main(process.argv.slice(2)));
