# The k6 scripts for users as k6 loads them: load-tests/NN-*.ts bundled by esbuild into
# out/load-tests/<name>.js (k6's modules left as imports, everything else inlined) and each bundle
# checked for what k6 cannot load (see load-tests/README.md).
.PHONY: load-tests

load-tests: install
	@node --import tsx tools/load-tests/cli.ts
