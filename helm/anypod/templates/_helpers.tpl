{{/*
Names, labels and the small pieces every template shares. Object names are <release>-<component>
(Service anypod-auth); labels are the app.kubernetes.io set the whole project uses.
*/}}

{{/* The namespace every object is rendered into (explicit, so kubectl apply -f k8s/ needs no -n). */}}
{{- define "anypod.namespace" -}}
{{- .Release.Namespace -}}
{{- end -}}

{{/* <release>-<component>, e.g. anypod-auth; call with (dict "root" $ "component" "auth"). */}}
{{- define "anypod.fullname" -}}
{{- printf "%s-%s" .root.Release.Name .component | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* Labels of every object; call with (dict "root" $ "component" "auth"). */}}
{{- define "anypod.labels" -}}
{{ include "anypod.selectorLabels" . }}
app.kubernetes.io/version: {{ .root.Chart.AppVersion | quote }}
app.kubernetes.io/part-of: anypod
app.kubernetes.io/managed-by: {{ .root.Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .root.Chart.Name .root.Chart.Version }}
{{- end -}}

{{/* Selector labels: stable across upgrades (a Deployment's selector is immutable). */}}
{{- define "anypod.selectorLabels" -}}
app.kubernetes.io/name: anypod
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end -}}

{{/* An anypod image: [registry/]anypod/<name>:<tag or appVersion>. */}}
{{- define "anypod.image" -}}
{{- $tag := .root.Values.image.tag | default .root.Chart.AppVersion -}}
{{- $repo := printf "anypod/%s" .name -}}
{{- if .root.Values.image.registry -}}{{- $repo = printf "%s/%s" (trimSuffix "/" .root.Values.image.registry) $repo -}}{{- end -}}
{{- printf "%s:%s" $repo $tag -}}
{{- end -}}

{{/* A service's settings: serviceDefaults with the service's own entry merged over them. */}}
{{- define "anypod.service" -}}
{{- $svc := get .root.Values.services .name | default dict -}}
{{- toYaml (mustMergeOverwrite (deepCopy .root.Values.serviceDefaults) (deepCopy $svc)) -}}
{{- end -}}

{{/* The service names in a stable order (auth, cart, catalog: sorted, so renders never reorder). */}}
{{- define "anypod.serviceNames" -}}
{{- toYaml (keys .Values.services | sortAlpha) -}}
{{- end -}}

{{/* Secret names: the chart's own or the ones the user made (README "Secrets"). */}}
{{- define "anypod.authKeysSecret" -}}
{{- .Values.secrets.authKeysName | default (printf "%s-auth-keys" .Release.Name) -}}
{{- end -}}
{{- define "anypod.postgresSecret" -}}
{{- .Values.secrets.postgresName | default (printf "%s-postgres" .Release.Name) -}}
{{- end -}}

{{/* Host:port of Postgres, in the chart or external. */}}
{{- define "anypod.postgresHost" -}}
{{- if .Values.postgres.enabled -}}{{ printf "%s-postgres" .Release.Name }}{{- else -}}{{ .Values.postgres.external.host }}{{- end -}}
{{- end -}}
{{- define "anypod.postgresPort" -}}
{{- if .Values.postgres.enabled -}}5432{{- else -}}{{ .Values.postgres.external.port }}{{- end -}}
{{- end -}}

{{/* REDIS_URL: the in-chart cache's Service or the external URL. */}}
{{- define "anypod.redisUrl" -}}
{{- if .Values.cache.enabled -}}{{ printf "redis://%s-%s:6379" .Release.Name .Values.cache.flavor }}{{- else -}}{{ .Values.cache.external.url }}{{- end -}}
{{- end -}}

{{/*
Pod Security "restricted" for a container: non-root, no escalation, no capabilities, the
runtime's seccomp profile, nothing written outside the volumes mounted for it.
*/}}
{{- define "anypod.containerSecurityContext" -}}
allowPrivilegeEscalation: false
readOnlyRootFilesystem: true
runAsNonRoot: true
capabilities:
  drop: [ALL]
seccompProfile:
  type: RuntimeDefault
{{- end -}}

{{/* Pod-level restricted context for a given uid (1000 for the anypod images, 999 for postgres/valkey). */}}
{{- define "anypod.podSecurityContext" -}}
runAsNonRoot: true
runAsUser: {{ .uid }}
runAsGroup: {{ .uid }}
fsGroup: {{ .uid }}
seccompProfile:
  type: RuntimeDefault
{{- end -}}

{{/* The OTLP/HTTP endpoint the services send traces to: observability.otlpEndpoint (outside the chart), else the chart's Jaeger when observability is on, else none. */}}
{{- define "anypod.otlpEndpoint" -}}
{{- if .Values.observability.otlpEndpoint -}}
{{- .Values.observability.otlpEndpoint -}}
{{- else if .Values.observability.enabled -}}
{{- printf "http://%s-jaeger:4318" .Release.Name -}}
{{- end -}}
{{- end -}}
