{{- define "mailprobe.name" -}}
{{- .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "mailprobe.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "mailprobe.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
{{ include "mailprobe.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
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

{{/* The config mailprobe reads: values.config, plus serve.listen/port in serve mode. */}}
{{- define "mailprobe.config" -}}
{{- $cfg := deepCopy .Values.config -}}
{{- if eq .Values.mode "serve" -}}
{{- $serve := default (dict) $cfg.serve -}}
{{- $_ := set $serve "listen" "0.0.0.0" -}}
{{- $_ := set $serve "port" (int .Values.serve.port) -}}
{{- $_ := set $cfg "serve" $serve -}}
{{- end -}}
{{- toYaml $cfg -}}
{{- end -}}

{{/* Longest probe deadline + 60 s: the probe's own deadline, its 10 s cleanup, start-up. */}}
{{- define "mailprobe.activeDeadlineSeconds" -}}
{{- if .Values.cronjob.activeDeadlineSeconds -}}
{{- .Values.cronjob.activeDeadlineSeconds -}}
{{- else -}}
{{- $max := 0 -}}
{{- range .Values.config.probes -}}
{{- $t := int (default 120 .timeoutSeconds) -}}
{{- if gt $t $max }}{{ $max = $t }}{{ end -}}
{{- end -}}
{{- add $max 60 -}}
{{- end -}}
{{- end -}}

{{- define "mailprobe.podSpec" -}}
{{- $root := .root -}}
{{- with $root.Values.imagePullSecrets }}
imagePullSecrets:
  {{- toYaml . | nindent 2 }}
{{- end }}
serviceAccountName: {{ include "mailprobe.serviceAccountName" $root }}
automountServiceAccountToken: {{ $root.Values.serviceAccount.automountToken }}
securityContext:
  {{- toYaml $root.Values.podSecurityContext | nindent 2 }}
{{- if .restartPolicy }}
restartPolicy: {{ .restartPolicy }}
{{- end }}
containers:
  - name: mailprobe
    image: "{{ $root.Values.image.repository }}:{{ $root.Values.image.tag | default $root.Chart.AppVersion }}"
    imagePullPolicy: {{ $root.Values.image.pullPolicy }}
    args: {{ toJson .args }}
    env:
      - name: MAILPROBE_LOG_LEVEL
        value: info
      {{- if $root.Values.extraCaBundle.configMap }}
      - name: NODE_EXTRA_CA_CERTS
        value: {{ printf "%s/ca/%s" $root.Values.configMountPath $root.Values.extraCaBundle.key | quote }}
      {{- end }}
      {{- with $root.Values.extraEnv }}
      {{- toYaml . | nindent 6 }}
      {{- end }}
    {{- with .ports }}
    ports:
      {{- toYaml . | nindent 6 }}
    {{- end }}
    {{- with .probes }}
    {{- toYaml . | nindent 4 }}
    {{- end }}
    securityContext:
      {{- toYaml $root.Values.securityContext | nindent 6 }}
    resources:
      {{- toYaml $root.Values.resources | nindent 6 }}
    volumeMounts:
      - name: config
        mountPath: {{ $root.Values.configMountPath }}/config.yaml
        subPath: config.yaml
        readOnly: true
      {{- if include "mailprobe.secretName" $root }}
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
volumes:
  - name: config
    configMap:
      name: {{ include "mailprobe.fullname" $root }}
  {{- if include "mailprobe.secretName" $root }}
  - name: secrets
    secret:
      secretName: {{ include "mailprobe.secretName" $root }}
      defaultMode: 0440
  {{- end }}
  {{- if $root.Values.extraCaBundle.configMap }}
  - name: ca
    configMap:
      name: {{ $root.Values.extraCaBundle.configMap }}
  {{- end }}
  - name: tmp
    emptyDir:
      sizeLimit: 16Mi
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
  checksum/config: {{ include "mailprobe.config" . | sha256sum }}
  {{- if .Values.secrets.create }}
  checksum/secret: {{ toJson .Values.secrets.data | sha256sum }}
  {{- end }}
  {{- with .Values.podAnnotations }}
  {{- toYaml . | nindent 2 }}
  {{- end }}
labels:
  {{- include "mailprobe.selectorLabels" . | nindent 2 }}
  {{- with .Values.podLabels }}
  {{- toYaml . | nindent 2 }}
  {{- end }}
{{- end -}}
