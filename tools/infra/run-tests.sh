#!/usr/bin/env bash
# The test stages that need Postgres and Redis (run under with-infra.sh): migrations, seed data,
# then every vitest project — in groups, one after another, the heavy ones last (vitest.config.ts).
# The summary reporter prints how long each project took and ends with "tests: N passed, N failed".
# Extra arguments go to vitest.
here=$(cd "$(dirname "$0")" && pwd)
set -e
bash "$here/timed.sh" "migrations" bash "$here/migrate.sh" deploy
bash "$here/timed.sh" "seed data" bash "$here/seed.sh"
# Last, and not wrapped in timed.sh: the reporter prints each project's time and then the
# summary line, which stays the last line of `make test`.
exec pnpm exec vitest run "$@"
