# The one-node Kubernetes built from source (tools/kube/README.md), included by the Makefile.
#   make kube-up       build the pinned Kubernetes once (cached outside the clone), start the cluster
#                      and the gateway in front of it (needs root; ~20 s when built)
#   make kube-deploy   the chart on it, by quickstart/deploy.sh (images, stand-ins, helm test)
#   make kube-status   components, node, kube-proxy sync, gateway URL, pods (exit 1 when not all up)
#   make kube-down     stop exactly what kube-up started and undo every change it made
#   make demo-kube     the proof on real pods: kube-up, kube-deploy, the runs, the report
.PHONY: kube-up kube-down kube-status kube-deploy kube-packages demo-kube

kube-packages: node
	@env WITH_IMAGES=1 WITH_KUBE=1 bash $(INFRA)/ensure-packages.sh

kube-up: kube-packages install
	@bash tools/kube/up.sh

kube-down:
	@bash tools/kube/down.sh

kube-status:
	@bash tools/kube/status.sh

kube-deploy: kube-packages install
	@bash tools/kube/deploy.sh

demo-kube: kube-up
	@bash tools/kube/deploy.sh --values tools/kube/proof-values.yaml
	@node --import tsx tools/kube/proof/cli.ts
