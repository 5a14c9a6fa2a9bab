# The proof (tools/proof), included by the Makefile.
#   make demo          a walk-through of the auth API, then the four runs of the proof; writes out/proof/report.json and report.html,
#                      exits non-zero when a stateless run fails its checks
#   make proof-short   the short proof test (a few seconds per run, 2 replicas) and its mutation check
#   make load-report SUMMARY=<file> TIMESERIES=<file> [NAME=<run name>] [MODE=shared|memory]
#                      a k6 run's report page from what it left (handleSummary's JSON, k6 run --out json=<file>);
#                      writes out/proof-k6/report.json and report.html (LOAD_REPORT_OUT), exits non-zero when the run failed
# Settings (environment): PROOF_DURATION_S (45), PROOF_KILL_EVERY_S (10), PROOF_VUS (16),
# REPLICAS (3), PROOF_RUNS (all; e.g. graceful,sigkill), PROOF_SEED — see tools/proof/cli.ts.
# `prepare` (installs, migrations, seed data, Postgres and Redis) is defined in the Makefile.
.PHONY: demo proof-short load-report

demo: prepare
	@bash tools/infra/with-infra.sh node --import tsx tools/demo/cli.ts
	@bash tools/infra/with-infra.sh node --import tsx tools/proof/cli.ts

proof-short: prepare
	@bash tools/infra/with-infra.sh pnpm exec vitest run --project tools test/proof-short.test.ts

# Only `install`: the report reads two files and needs neither the cluster nor the databases.
load-report: install
	@test -n "$(SUMMARY)" || { echo 'usage: make load-report SUMMARY=<summary.json> TIMESERIES=<timeseries.json> [NAME=…] [MODE=shared|memory]' >&2; exit 2; }
	@node --import tsx tools/proof/k6-cli.ts --summary "$(SUMMARY)" $(if $(TIMESERIES),--timeseries "$(TIMESERIES)") $(if $(NAME),--name "$(NAME)") $(if $(MODE),--mode "$(MODE)") --out "$(or $(LOAD_REPORT_OUT),out/proof-k6)"
