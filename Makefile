# anypod — every command a newcomer needs. Each target installs what is missing first.
#   make demo   the proof: a local cluster under load while replicas are deleted (see README)
#   make test   every test, from a fresh machine
#   make up / make down / make status   a long-running local cluster
SHELL := /bin/bash
.DEFAULT_GOAL := help
INFRA := tools/infra

.PHONY: help prepare install generate infra migrate seed test lint typecheck vitest infra-stop clean

help:
	@sed -n '1,5p' Makefile | sed 's/^# \{0,1\}//'

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
# needs Debian's chromium.
test:
	@WITH_CHROMIUM=1 bash $(INFRA)/ensure-packages.sh
	@pnpm install --frozen-lockfile --reporter=silent
	@bash $(INFRA)/migrate.sh generate
	@$(MAKE) --no-print-directory lint typecheck
	@bash $(INFRA)/with-infra.sh bash -c 'bash $(INFRA)/migrate.sh deploy && bash $(INFRA)/seed.sh && pnpm exec vitest run'

clean:
	rm -rf out

-include tools/cluster/cluster.mk
-include tools/proof/proof.mk
