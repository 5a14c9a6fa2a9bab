// sigs.k8s.io/gateway-api, only for its CRD YAML files (config/crd/standard), which the kind
// quickstart installs and the chart's HTTPRoute is validated against; nothing is built from it.
// v1.6.3, not v1.7.0: v1.7.0's go.mod says go 1.27, and the machine's Go is 1.26 (with
// GOTOOLCHAIN=local no other toolchain is fetched). Take v1.7.x once the machine's Go is 1.27.
module anypod.local/tools/go/gateway-api

go 1.26

require sigs.k8s.io/gateway-api v1.6.3
