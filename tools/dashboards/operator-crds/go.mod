// github.com/prometheus-operator/prometheus-operator, only for the CRD YAML files of its
// monitoring.coreos.com/v1 kinds (example/prometheus-operator-crd): the chart's PodMonitor,
// ServiceMonitor and PrometheusRule are validated against them offline (tools/dashboards/crds.ts).
// Nothing is built from it. v0.93.0: the current release; kube-prometheus-stack ships the same v1 kinds.
module anypod.local/tools/dashboards/operator-crds

go 1.26

require github.com/prometheus-operator/prometheus-operator v0.93.0
