# Schemathesis (tools/schemathesis), included by the Makefile.
#   make schemathesis-venv   create its virtualenv outside the clone (make test-setup does it too)
.PHONY: schemathesis-venv

schemathesis-venv:
	@bash tools/schemathesis/venv.sh
