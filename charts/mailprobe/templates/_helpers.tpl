{{- define "mailprobe.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "mailprobe.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- $name := default .Chart.Name .Values.nameOverride -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{/* The namespace of every namespaced object: namespaceOverride, else the release's. */}}
{{- define "mailprobe.namespace" -}}
{{- default .Release.Namespace .Values.namespaceOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/*
repository@digest when a digest is set (the tag is then ignored), else repository:tag. With
global.imageRegistry, the repository's registry (its first part when that names a host, as Docker
reads it: a dot or a colon in it, or localhost) is replaced by it, or it is put in front.
*/}}
{{- define "mailprobe.image" -}}
{{- $repo := .Values.image.repository -}}
{{- with (.Values.global).imageRegistry -}}
{{- $parts := splitn "/" 2 $repo -}}
{{- if and (contains "/" $repo) (or (contains "." $parts._0) (contains ":" $parts._0) (eq $parts._0 "localhost")) -}}
{{- $repo = printf "%s/%s" . $parts._1 -}}
{{- else -}}
{{- $repo = printf "%s/%s" . $repo -}}
{{- end -}}
{{- end -}}
{{- if .Values.image.digest -}}
{{- printf "%s@%s" $repo .Values.image.digest -}}
{{- else -}}
{{- printf "%s:%s" $repo (.Values.image.tag | default .Chart.AppVersion) -}}
{{- end -}}
{{- end -}}

{{/*
A number from the config; a ${VAR:-N} counts as its own default N; the default when unset or a ${VAR}
without one (known only at run time). strict: a ${VAR} without a default fails the render, naming what.
*/}}
{{- define "mailprobe.seconds" -}}
{{- if or (kindIs "float64" .v) (kindIs "int" .v) (kindIs "int64" .v) -}}
{{- .v | ceil | int -}}
{{- else if and (kindIs "string" .v) (regexMatch "^\\$\\{[A-Za-z_][A-Za-z0-9_]*:-[0-9]+(\\.[0-9]+)?\\}$" .v) -}}
{{- regexFind "[0-9]+(\\.[0-9]+)?\\}$" .v | trimSuffix "}" | float64 | ceil | int -}}
{{- else if and .strict (kindIs "string" .v) -}}
{{- fail (printf "%s is %s: the CronJob's activeDeadlineSeconds cannot be computed from it; give it a default (${VAR:-300}) or set cronjob.activeDeadlineSeconds" .what .v) -}}
{{- else -}}
{{- .def -}}
{{- end -}}
{{- end -}}

{{/* The sink budget: sinks run in parallel after a cycle, each bounded by its timeoutSeconds (default 5).
Given a dict (root, probes), only those probes' Kuma monitors count (a per-probe CronJob). */}}
{{- define "mailprobe.sinkBudget" -}}
{{- $root := . -}}
{{- $probes := list -}}
{{- if hasKey . "root" -}}{{- $root = .root -}}{{- $probes = .probes -}}{{- else -}}{{- $probes = .Values.config.probes -}}{{- end -}}
{{- $max := 5 -}}
{{- with $root.Values.config.pushgateway -}}
{{- $t := int (include "mailprobe.seconds" (dict "v" .timeoutSeconds "def" 5)) -}}
{{- if gt $t $max }}{{ $max = $t }}{{ end -}}
{{- end -}}
{{- range $probes -}}
{{- $kumas := list .kuma -}}
{{- range .paths }}{{ $kumas = append $kumas .kuma }}{{ end -}}
{{- range $kumas -}}
{{- if . -}}
{{- $t := int (include "mailprobe.seconds" (dict "v" .timeoutSeconds "def" 5)) -}}
{{- if gt $t $max }}{{ $max = $t }}{{ end -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- $max -}}
{{- end -}}

{{/* Whether the token key is mounted and referenced (tokenKey.enabled and a Secret to carry it). */}}
{{- define "mailprobe.tokenKey" -}}
{{- if and .Values.tokenKey.enabled (include "mailprobe.secretName" .) -}}true{{- end -}}
{{- end -}}

{{- define "mailprobe.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
{{ include "mailprobe.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- with .Values.commonLabels }}
{{ toYaml . }}
{{- end }}
{{- end -}}

{{- define "mailprobe.selectorLabels" -}}
app.kubernetes.io/name: {{ include "mailprobe.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "mailprobe.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "mailprobe.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- default "default" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{- define "mailprobe.secretName" -}}
{{- if .Values.secrets.existingSecret -}}
{{- .Values.secrets.existingSecret -}}
{{- else if .Values.secrets.create -}}
{{- include "mailprobe.fullname" . -}}
{{- end -}}
{{- end -}}

{{/* The config mailprobe reads: values.config, plus serve.listen/port in serve mode and the token key file. */}}
{{- define "mailprobe.config" -}}
{{- $cfg := deepCopy .Values.config -}}
{{- if and (include "mailprobe.tokenKey" .) (not (hasKey $cfg "tokenKey")) (not (hasKey $cfg "tokenKeyFile")) -}}
{{- $_ := set $cfg "tokenKeyFile" (printf "%s/%s" .Values.secrets.mountPath .Values.tokenKey.secretKey) -}}
{{- end -}}
{{- if eq .Values.mode "serve" -}}
{{- $serve := default (dict) $cfg.serve -}}
{{- $_ := set $serve "listen" "0.0.0.0" -}}
{{- $_ := set $serve "port" (int .Values.serve.port) -}}
{{- /* The exporter is scraped (ServiceMonitor): pushing too would report every series twice and fire every alert twice.
       The config's serve.push decides (the CLI's one place); the chart's serve.push writes it. */}}
{{- if and (hasKey $serve "push") (ne (toString $serve.push) (toString .Values.serve.push)) -}}
{{- fail (printf "config.serve.push (%v) and serve.push (%v) disagree: set serve.push only (the chart writes config.serve.push from it)" $serve.push .Values.serve.push) -}}
{{- end -}}
{{- $_ := set $serve "push" (.Values.serve.push | default false) -}}
{{- $_ := set $cfg "serve" $serve -}}
{{- end -}}
{{- toYaml $cfg -}}
{{- end -}}

{{/* One probe's timeoutSeconds (default 120); a ${VAR} without a default fails the render. */}}
{{- define "mailprobe.probeSeconds" -}}
{{- include "mailprobe.seconds" (dict "v" .timeoutSeconds "def" 120 "strict" true "what" (printf "timeoutSeconds of probe %s" .name)) -}}
{{- end -}}

{{/* Longest probe deadline + cleanup budget (10 s, src/probe/run.ts CLEANUP_BUDGET_MS) + sink budget + 30 s start-up margin. */}}
{{- define "mailprobe.activeDeadlineSeconds" -}}
{{- if .Values.cronjob.activeDeadlineSeconds -}}
{{- .Values.cronjob.activeDeadlineSeconds -}}
{{- else -}}
{{- $max := 0 -}}
{{- range .Values.config.probes -}}
{{- $t := int (include "mailprobe.probeSeconds" .) -}}
{{- if gt $t $max }}{{ $max = $t }}{{ end -}}
{{- end -}}
{{- add $max 10 (include "mailprobe.sinkBudget" .) 30 -}}
{{- end -}}
{{- end -}}

{{/* serve: SIGTERM lets a running cycle finish for shutdownGraceSeconds, then the sinks report, + 5 s. */}}
{{- define "mailprobe.terminationGracePeriodSeconds" -}}
{{- add (include "mailprobe.seconds" (dict "v" (.Values.config.serve).shutdownGraceSeconds "def" 30)) (include "mailprobe.sinkBudget" .) 5 -}}
{{- end -}}

{{/* The mailprobe container: image, args, env, security context, mounts. */}}
{{- define "mailprobe.container" -}}
{{- $root := .root -}}
- name: {{ .name }}
  image: {{ include "mailprobe.image" $root | quote }}
  imagePullPolicy: {{ $root.Values.image.pullPolicy }}
  args: {{ toJson .args }}
  env:
    {{- /* No MAILPROBE_LOG_LEVEL: config.log.level is the one place for the level (extraEnv may still set the override). */}}
    - name: NODE_ENV
      value: production
    {{- if $root.Values.extraCaBundle.configMap }}
    - name: NODE_EXTRA_CA_CERTS
      value: {{ printf "%s/ca/%s" $root.Values.configMountPath $root.Values.extraCaBundle.key | quote }}
    {{- end }}
    {{- with $root.Values.extraEnv }}
    {{- toYaml . | nindent 4 }}
    {{- end }}
  {{- with .ports }}
  ports:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  {{- with .probes }}
  {{- toYaml . | nindent 2 }}
  {{- end }}
  securityContext:
    {{- toYaml $root.Values.securityContext | nindent 4 }}
  resources:
    {{- toYaml $root.Values.resources | nindent 4 }}
  volumeMounts:
    - name: config
      mountPath: {{ $root.Values.configMountPath }}/config.yaml
      subPath: {{ .configKey | default "config.yaml" }}
      readOnly: true
    {{- if and (include "mailprobe.secretName" $root) (not .noSecret) }}
    - name: secrets
      mountPath: {{ $root.Values.secrets.mountPath }}
      readOnly: true
    {{- end }}
    {{- if $root.Values.extraCaBundle.configMap }}
    - name: ca
      mountPath: {{ $root.Values.configMountPath }}/ca
      readOnly: true
    {{- end }}
    - name: tmp
      mountPath: /tmp
    {{- with $root.Values.extraVolumeMounts }}
    {{- toYaml . | nindent 4 }}
    {{- end }}
{{- end -}}

{{- define "mailprobe.podSpec" -}}
{{- $root := .root -}}
{{- with $root.Values.imagePullSecrets }}
imagePullSecrets:
  {{- toYaml . | nindent 2 }}
{{- end }}
serviceAccountName: {{ include "mailprobe.serviceAccountName" $root }}
{{- with $root.Values.priorityClassName }}
priorityClassName: {{ . }}
{{- end }}
automountServiceAccountToken: {{ $root.Values.serviceAccount.automountToken }}
securityContext:
  {{- toYaml $root.Values.podSecurityContext | nindent 2 }}
{{- if .restartPolicy }}
restartPolicy: {{ .restartPolicy }}
{{- end }}
{{- with $root.Values.hostAliases }}
hostAliases:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with $root.Values.dnsPolicy }}
dnsPolicy: {{ . }}
{{- end }}
{{- with $root.Values.dnsConfig }}
dnsConfig:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- if or .initArgs $root.Values.extraInitContainers }}
initContainers:
  {{- with $root.Values.extraInitContainers }}
  {{- toYaml . | nindent 2 }}
  {{- end }}
  {{- with .initArgs }}
  {{- include "mailprobe.container" (dict "root" $root "name" "validate" "args" .) | nindent 2 }}
  {{- end }}
{{- end }}
containers:
  {{- include "mailprobe.container" (dict "root" $root "name" "mailprobe" "args" .args "ports" .ports "probes" .probes "configKey" .configKey "noSecret" .noSecret) | nindent 2 }}
  {{- with $root.Values.extraContainers }}
  {{- toYaml . | nindent 2 }}
  {{- end }}
volumes:
  - name: config
    configMap:
      name: {{ include "mailprobe.fullname" $root }}
  {{- if and (include "mailprobe.secretName" $root) (not .noSecret) }}
  - name: secrets
    secret:
      secretName: {{ include "mailprobe.secretName" $root }}
      defaultMode: 0440
      {{- if .secretKeys }}
      {{- /* Only these keys; a missing one is left out (optional), so mailprobe names the unreadable file. */}}
      optional: true
      items:
        {{- range .secretKeys }}
        - { key: {{ . | quote }}, path: {{ . | quote }} }
        {{- end }}
      {{- end }}
  {{- end }}
  {{- if $root.Values.extraCaBundle.configMap }}
  - name: ca
    configMap:
      name: {{ $root.Values.extraCaBundle.configMap }}
  {{- end }}
  - name: tmp
    emptyDir:
      sizeLimit: 16Mi
  {{- with $root.Values.extraVolumes }}
  {{- toYaml . | nindent 2 }}
  {{- end }}
{{- with $root.Values.nodeSelector }}
nodeSelector:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with $root.Values.tolerations }}
tolerations:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with $root.Values.affinity }}
affinity:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- end -}}

{{- define "mailprobe.podMetadata" -}}
annotations:
  {{- /* No checksum of the Secret: an unsalted hash of a password, readable by anyone who can
  read pods, is an offline guessing oracle. CronJob pods read the Secret at every run and serve
  re-reads its …File secrets every cycle. The config holds no inline secret (the values schema). */}}
  checksum/config: {{ include "mailprobe.config" . | sha256sum }}
  {{- with .Values.podAnnotations }}
  {{- toYaml . | nindent 2 }}
  {{- end }}
labels:
  {{- include "mailprobe.selectorLabels" . | nindent 2 }}
  {{- with .Values.commonLabels }}
  {{- toYaml . | nindent 2 }}
  {{- end }}
  {{- with .Values.podLabels }}
  {{- toYaml . | nindent 2 }}
  {{- end }}
{{- end -}}
