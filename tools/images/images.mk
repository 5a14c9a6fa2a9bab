# Container images (tools/images/README.md). Included by the Makefile.
#   make images            anypod/{auth,catalog,cart,migrate}:<helm/anypod/Chart.yaml version>, with sizes
#   make images IMAGES=auth   only those named
#   make base-image        only the locally made node:24-bookworm-slim (podman, no registry)
#   make standin-images    local stand-ins for the chart's Postgres, Valkey and pause images
#                          (tools/images/standin/README.md), with their names and sizes
IMAGES ?=
.PHONY: images base-image standin-images

images: node
	@bash tools/images/build.sh $(IMAGES)

base-image: node
	@bash tools/images/base-image.sh

standin-images:
	@bash tools/images/standin/build.sh
