{{/*
Every rule across values, checked in one place before anything renders (Bitnami's style): a bad
combination fails `helm install`/`helm template` with one message naming the values to change,
instead of a cluster that starts and then runs out of connections or SIGKILLs its pods.
*/}}
{{- define "anypod.validate" -}}
{{- $errors := list -}}
{{- $v := .Values -}}

{{- /* Connection budget: every pod that can exist at once holds a full pool. */ -}}
{{- $pools := 0 -}}
{{- $terms := list -}}
{{- $migrate := 0 -}}
{{- range $name := keys $v.services | sortAlpha -}}
  {{- $s := include "anypod.service" (dict "root" $ "name" $name) | fromYaml -}}
  {{- $max := int $s.replicas -}}
  {{- if $s.autoscaling.enabled -}}{{- $max = max $max (int $s.autoscaling.maxReplicas) -}}{{- end -}}
  {{- $pods := add $max (int $s.maxSurge) -}}
  {{- $pools = add $pools (mul $pods (int $s.dbPoolSize)) -}}
  {{- $terms = append $terms (printf "%s (%d pods x %d)" $name $pods (int $s.dbPoolSize)) -}}
  {{- if $s.migrate.enabled -}}{{- $migrate = add $migrate (int $v.postgres.migrateConnections) -}}{{- end -}}
  {{- /* Grace budget (reliability.md): grace >= preStop + shutdown timeout + margin, shutdown timeout >= longest request + onClose. */ -}}
  {{- if lt (int $s.terminationGracePeriodSeconds) (add (int $s.preStopSleepSeconds) (int $s.shutdownTimeoutSeconds) 2) -}}
    {{- $errors = append $errors (printf "services.%s: terminationGracePeriodSeconds (%d) must be at least preStopSleepSeconds (%d) + shutdownTimeoutSeconds (%d) + 2 s margin, or the kubelet SIGKILLs the pod before it has drained" $name (int $s.terminationGracePeriodSeconds) (int $s.preStopSleepSeconds) (int $s.shutdownTimeoutSeconds)) -}}
  {{- end -}}
  {{- if lt (int $s.shutdownTimeoutSeconds) (add (int $s.longestRequestSeconds) (int $s.onCloseSeconds)) -}}
    {{- $errors = append $errors (printf "services.%s: shutdownTimeoutSeconds (%d) must cover longestRequestSeconds (%d) + onCloseSeconds (%d), or requests in flight are cut off at shutdown" $name (int $s.shutdownTimeoutSeconds) (int $s.longestRequestSeconds) (int $s.onCloseSeconds)) -}}
  {{- end -}}
  {{- if and $s.autoscaling.enabled (lt (int $s.autoscaling.maxReplicas) (int $s.replicas)) -}}
    {{- $errors = append $errors (printf "services.%s: autoscaling.maxReplicas (%d) is below replicas (%d), the HPA minimum" $name (int $s.autoscaling.maxReplicas) (int $s.replicas)) -}}
  {{- end -}}
{{- end -}}
{{- $available := sub (int $v.postgres.maxConnections) (int $v.postgres.reservedConnections) -}}
{{- $needed := add $pools $migrate -}}
{{- if gt $needed $available -}}
  {{- $errors = append $errors (printf "connection budget exceeded: the services may open %d Postgres connections (%s pools = %d, plus %d for migrate init containers) but postgres.maxConnections (%d) - postgres.reservedConnections (%d) leaves %d; lower dbPoolSize or autoscaling.maxReplicas, or raise postgres.maxConnections" $needed (join " + " $terms) $pools $migrate (int $v.postgres.maxConnections) (int $v.postgres.reservedConnections) $available) -}}
{{- end -}}

{{- /* Endpoints and secrets that must be given when the chart does not run or create them. */ -}}
{{- if and (not $v.postgres.enabled) (not $v.postgres.external.host) -}}
  {{- $errors = append $errors "postgres.enabled is false: set postgres.external.host (and the database-url in the Postgres Secret)" -}}
{{- end -}}
{{- if and (not $v.postgres.enabled) $v.secrets.create (not $v.postgres.external.password) -}}
  {{- $errors = append $errors "postgres.enabled is false with secrets.create true: set postgres.external.password, or create the Postgres Secret yourself (secrets.create false)" -}}
{{- end -}}
{{- if and (not $v.cache.enabled) (not $v.cache.external.url) -}}
  {{- $errors = append $errors "cache.enabled is false: set cache.external.url (redis://host:port)" -}}
{{- end -}}
{{- if and $v.gateway.enabled (not $v.gateway.create) (not $v.gateway.parentRef.name) -}}
  {{- $errors = append $errors "gateway.create is false: set gateway.parentRef.name to the Gateway the HTTPRoutes attach to" -}}
{{- end -}}
{{- if and $v.sticky.enabled (ne $v.config.stateStore "memory") -}}
  {{- $errors = append $errors "sticky.enabled only makes sense with config.stateStore memory (the stateless services need no stickiness)" -}}
{{- end -}}

{{- if $errors -}}
{{- fail (printf "\n\nanypod values are not valid:\n  - %s\n" (join "\n  - " $errors)) -}}
{{- end -}}
{{- end -}}
