# make bench (bench/README.md), included by the Makefile: figures, never pass/fail on a target.
#   make bench                       every stage (~15 min warm; the last brings the one-node Kubernetes up and down: root)
#   make bench BENCH_ARGS="--skip kube"       only the processes
#   make bench BENCH_ARGS="--only limit,routes --duration 5"
# Writes out/bench/results.json and results.md; the README quotes results.md.
.PHONY: bench

bench: prepare kube-packages go-tools images standin-images
	@bash $(INFRA)/with-infra.sh env BENCH_ARGS="$(BENCH_ARGS)" node --import tsx bench/cli.ts $(BENCH_ARGS)
