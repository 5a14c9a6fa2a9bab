# anypod — every command a newcomer needs. Each target installs what is missing first.
#   make demo   the proof: a local cluster under load while replicas are deleted (see README)
#   make test   every test, from a fresh machine (make test-repeat N=5: the timing-sensitive ones, N times)
#   make up / make down / make status   a long-running local cluster
#   make dev    the services from source behind the local Ingress, each restarting when its code changes
#   make bench  throughput against a bare Fastify limit, telemetry cost, cold start, memory (bench/README.md)
SHELL := /bin/bash
.DEFAULT_GOAL := help
INFRA := tools/infra

# Every command runs on the Node that .node-version pins (24 LTS): the machine's own when it is on
# that major, otherwise one installed by `make node` into a cache outside the clone, put first on PATH.
NODE_VERSION := $(shell tr -d '[:space:]' < .node-version)
NODE_HOME := $(or $(ANYPOD_CACHE),$(or $(XDG_CACHE_HOME),$(HOME)/.cache)/anypod)/node-$(NODE_VERSION)
export PATH := $(NODE_HOME)/bin:$(PATH)

.PHONY: help node prepare install generate build env-example infra migrate seed test test-repeat test-setup lint typecheck vitest infra-stop clean

help:
	@awk '!/^#/ { exit } { sub(/^# ?/, ""); print }' Makefile

# Packages from Debian/npm, dependencies, Prisma clients, the services' production build,
# Postgres + Redis, migrations, seed data.
prepare: install generate build infra migrate seed

node:
	@bash $(INFRA)/ensure-node.sh

install: node
	@bash $(INFRA)/ensure-packages.sh
	@pnpm install --frozen-lockfile --reporter=silent

generate: node
	@bash $(INFRA)/migrate.sh generate

# .env.example from the services' configuration schemas (a test fails when it drifts).
env-example: install
	@node --import tsx tools/config/env-example.ts --write

# What the local cluster, make up, make demo and the images run: services/*/dist (tools/build).
build: generate
	@node --import tsx tools/build/cli.ts

infra: node
	@bash $(INFRA)/postgres.sh start
	@bash $(INFRA)/redis.sh start

migrate: infra
	@bash $(INFRA)/migrate.sh deploy

seed: migrate
	@bash $(INFRA)/seed.sh

infra-stop: node
	@bash $(INFRA)/redis.sh stop
	@bash $(INFRA)/postgres.sh stop

lint: node
	pnpm exec eslint .

typecheck: node
	pnpm -r typecheck

# Tests start the Postgres/Redis they need and stop what they started; the Chromium report test
# needs Debian's chromium; the last group starts the one-node Kubernetes (tools/kube), installs the
# chart on it and takes it down again (root). Every stage says how long it took.
test: test-setup
	@bash $(INFRA)/timed.sh lint pnpm exec eslint .
	@bash $(INFRA)/timed.sh typecheck pnpm -r typecheck
	@bash $(INFRA)/timed.sh images $(MAKE) --no-print-directory images standin-images
	@bash $(INFRA)/with-infra.sh bash $(INFRA)/run-tests.sh

# The tests tagged 'timing' (real processes, kills, timeouts), N times in a row; prints N/N.
#   make test-repeat N=20 TESTS=proof-short   only files whose path contains proof-short
N ?= 5
TESTS ?=
test-repeat: test-setup
	@bash $(INFRA)/with-infra.sh bash $(INFRA)/repeat-tests.sh $(N) $(TESTS)

test-setup:
	@bash $(INFRA)/timed.sh "node $(NODE_VERSION)" bash $(INFRA)/ensure-node.sh
	@bash $(INFRA)/timed.sh "packages (Debian, pnpm)" env WITH_CHROMIUM=1 WITH_PYTHON_VENV=1 WITH_IMAGES=1 WITH_KUBE=1 bash $(INFRA)/ensure-packages.sh
	@bash $(INFRA)/timed.sh "dependencies" pnpm install --frozen-lockfile --reporter=silent
	@bash $(INFRA)/timed.sh "prisma clients" bash $(INFRA)/migrate.sh generate
	@bash $(INFRA)/timed.sh "go tools" bash tools/go/go-tools.sh build
	@bash $(INFRA)/timed.sh "schemathesis venv" bash tools/schemathesis/venv.sh

clean:
	rm -rf out

-include tools/cluster/cluster.mk
-include tools/proof/proof.mk
-include tools/go/go-tools.mk
-include tools/images/images.mk
-include tools/k8s/k8s.mk
-include tools/kube/kube.mk
-include tools/dashboards/dashboards.mk
-include tools/load-tests/load-tests.mk
-include tools/schemathesis/schemathesis.mk
-include bench/bench.mk
