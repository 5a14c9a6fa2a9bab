# anypod — every command a newcomer needs. Each target installs what is missing first.
#   make demo   the proof: a local cluster under load while replicas are deleted (see README)
#   make test   every test, from a fresh machine (make test-repeat N=5: the timing-sensitive ones, N times)
#   make up / make down / make status   a long-running local cluster
SHELL := /bin/bash
.DEFAULT_GOAL := help
INFRA := tools/infra

.PHONY: help prepare install generate infra migrate seed test test-repeat test-setup lint typecheck vitest infra-stop clean

help:
	@awk '!/^#/ { exit } { sub(/^# ?/, ""); print }' Makefile

# Packages from Debian/npm, dependencies, Prisma clients, Postgres + Redis, migrations, seed data.
prepare: install generate infra migrate seed

install:
	@bash $(INFRA)/ensure-packages.sh
	@pnpm install --frozen-lockfile --reporter=silent

generate:
	@bash $(INFRA)/migrate.sh generate

infra:
	@bash $(INFRA)/postgres.sh start
	@bash $(INFRA)/redis.sh start

migrate: infra
	@bash $(INFRA)/migrate.sh deploy

seed: migrate
	@bash $(INFRA)/seed.sh

infra-stop:
	@bash $(INFRA)/redis.sh stop
	@bash $(INFRA)/postgres.sh stop

lint:
	pnpm exec eslint .

typecheck:
	pnpm -r typecheck

# Tests start the Postgres/Redis they need and stop what they started; the Chromium report test
# needs Debian's chromium. Every stage says how long it took.
test: test-setup
	@bash $(INFRA)/timed.sh lint pnpm exec eslint .
	@bash $(INFRA)/timed.sh typecheck pnpm -r typecheck
	@bash $(INFRA)/with-infra.sh bash $(INFRA)/run-tests.sh

# The tests tagged 'timing' (real processes, kills, timeouts), N times in a row; prints N/N.
#   make test-repeat N=20 TESTS=proof-short   only files whose path contains proof-short
N ?= 5
TESTS ?=
test-repeat: test-setup
	@bash $(INFRA)/with-infra.sh bash $(INFRA)/repeat-tests.sh $(N) $(TESTS)

test-setup:
	@bash $(INFRA)/timed.sh "packages (Debian, pnpm)" env WITH_CHROMIUM=1 bash $(INFRA)/ensure-packages.sh
	@bash $(INFRA)/timed.sh "dependencies" pnpm install --frozen-lockfile --reporter=silent
	@bash $(INFRA)/timed.sh "prisma clients" bash $(INFRA)/migrate.sh generate

clean:
	rm -rf out

-include tools/cluster/cluster.mk
-include tools/proof/proof.mk
