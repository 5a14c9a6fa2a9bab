# The rendered manifests (tools/k8s), included by the Makefile.
#   make k8s         render helm/anypod (values: helm/anypod/ci/k8s-values.yaml) into k8s/ for kubectl apply -f k8s/
#   make k8s-check   fail when k8s/ differs from a fresh render (the drift test does the same in make test)
#   make chart-lint  helm lint --strict of the defaults and every helm/anypod/ci/*-values.yaml
.PHONY: k8s k8s-check chart-lint

k8s: install
	@node --import tsx tools/k8s/write-manifests.ts

k8s-check: install
	@node --import tsx tools/k8s/write-manifests.ts --check

chart-lint: install
	@pnpm exec vitest run --project k8s tools/test/k8s/chart.test.ts
