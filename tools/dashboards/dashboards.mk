# Dashboards and alert rules as code (tools/dashboards), included by the Makefile.
#   make dashboards         regenerate helm/anypod/dashboards/*.json from tools/dashboards/*.ts
#   make dashboards-check   fail when the committed JSON differs from the code (the dashboards test does too)
#   make rules-test         promtool check and test of helm/anypod/rules (the rules test does too, with mutants)
#   make dashboards-live PROMETHEUS=http://127.0.0.1:9090 [NAMESPACE=anypod]   every query against a running Prometheus
.PHONY: dashboards dashboards-check rules-test dashboards-live

dashboards: install
	@node --import tsx tools/dashboards/cli.ts --write

dashboards-check: install
	@node --import tsx tools/dashboards/cli.ts --check

rules-test: install
	@cd helm/anypod/rules && promtool check rules anypod.rules.yaml && promtool test rules tests/*.test.yaml

PROMETHEUS ?= http://127.0.0.1:9090
NAMESPACE ?= anypod
dashboards-live: install
	@node --import tsx tools/dashboards/check-live.ts --prometheus $(PROMETHEUS) --namespace $(NAMESPACE)
