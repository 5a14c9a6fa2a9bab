# The proof (tools/proof), included by the Makefile.
#   make demo          a walk-through of the auth API, then the four runs of the proof; writes out/proof/report.json and report.html,
#                      exits non-zero when a stateless run fails its checks
#   make proof-short   the short proof test (a few seconds per run, 2 replicas) and its mutation check
# Settings (environment): PROOF_DURATION_S (45), PROOF_KILL_EVERY_S (10), PROOF_VUS (16),
# REPLICAS (3), PROOF_RUNS (all; e.g. graceful,sigkill), PROOF_SEED — see tools/proof/cli.ts.
# `prepare` (installs, migrations, seed data, Postgres and Redis) is defined in the Makefile.
.PHONY: demo proof-short

demo: prepare
	@bash tools/infra/with-infra.sh node --import tsx tools/demo/cli.ts
	@bash tools/infra/with-infra.sh node --import tsx tools/proof/cli.ts

proof-short: prepare
	@bash tools/infra/with-infra.sh pnpm exec vitest run --project tools test/proof-short.test.ts
