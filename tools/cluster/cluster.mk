# The local cluster (tools/cluster): N replicas of each service as processes behind nginx, like
# Deployments behind an Ingress. Included from the root Makefile, whose `prepare` target installs
# packages, generates the Prisma clients, starts Postgres/Redis and applies the migrations.
#   make up       start it in the background and print the URLs
#   make status   what runs where, and whether it answers (fails only when something is unwell)
#   make down     stop everything it started (safe to repeat)
# Settings: REPLICAS=3 INGRESS_PORT=8080 ROUTING=round-robin|sticky STATE_STORE=shared|memory
#           SERVICES=auth,catalog,cart CLUSTER_RUN_DIR=/tmp/anypod/cluster
#           REPLICA_ENV="LOG_LEVEL=debug LOGIN_RATE_LIMIT_PER_MINUTE=600"
# e.g. `make up REPLICAS=2 ROUTING=sticky`.
CLUSTER_CLI := node --import tsx tools/cluster/cli.ts

.PHONY: up down status

# MIGRATE=0: `prepare` has just applied the migrations.
up: prepare
	@MIGRATE=0 $(CLUSTER_CLI) up

down:
	@$(CLUSTER_CLI) down

status:
	@$(CLUSTER_CLI) status || [ $$? -eq 3 ]
