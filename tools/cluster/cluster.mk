# The local cluster (tools/cluster): N replicas of each service as processes behind nginx, like
# Deployments behind an Ingress. Included from the root Makefile, whose `prepare` target installs
# packages, generates the Prisma clients, starts Postgres/Redis and applies the migrations.
#   make up       start it in the background, with Jaeger and Prometheus, and print the URLs
#   make status   what runs where, and whether it answers (fails only when something is unwell)
#   make down     stop everything it started (safe to repeat)
#   make dev      one replica of each service from source, in the foreground, each restarting when
#                 its code changes (node --watch); Ctrl-C stops everything
# Each service's replicas, env, probes, pre-stop and grace come from k8s/ (tools/cluster/README.md).
# Settings: REPLICAS=3 INGRESS_PORT=8080 ROUTING=round-robin|sticky STATE_STORE=shared|memory
#           SERVICES=auth,catalog,cart CLUSTER_RUN_DIR=/tmp/anypod/cluster
#           REPLICA_ENV="LOG_LEVEL=debug LOGIN_RATE_LIMIT_PER_MINUTE=600"
#           OBSERVABILITY=1|0 PROMETHEUS_PORT=9090 JAEGER_PORT=16686 OTLP_PORT=4318 SCRAPE_INTERVAL_S=5
# e.g. `make up REPLICAS=2 ROUTING=sticky`.
CLUSTER_CLI := node --import tsx tools/cluster/cli.ts

.PHONY: up down status dev

# MIGRATE=0: `prepare` has just applied the migrations. Jaeger is built here, in the foreground,
# the first time (minutes; then cached), not inside the supervisor's start-up.
up: prepare
	@[ "$${OBSERVABILITY:-1}" = 0 ] || bash tools/go/go-tools.sh path jaeger >/dev/null
	@MIGRATE=0 $(CLUSTER_CLI) up

down: node
	@$(CLUSTER_CLI) down

status: node
	@$(CLUSTER_CLI) status || [ $$? -eq 3 ]

# Its own run directory, so it never touches a `make up` cluster's state (both want port 8080, though).
dev: install generate infra migrate seed
	@WATCH=1 REPLICAS=$${REPLICAS:-1} MIGRATE=0 CLUSTER_RUN_DIR=$${CLUSTER_RUN_DIR:-/tmp/anypod/dev} $(CLUSTER_CLI) run
