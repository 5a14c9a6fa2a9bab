# The pinned Go tools (tools/go), included by the Makefile.
#   make go-tools   build helm, kubectl-validate and actionlint into the cache outside the clone, and
#                   copy out the Gateway API CRDs (does nothing when the pins have not changed)
.PHONY: go-tools

go-tools:
	@bash tools/go/go-tools.sh build
