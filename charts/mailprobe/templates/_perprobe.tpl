{{/*
cronjob.perProbe: one CronJob per configured probe. mailprobe.probeJobs computes each one's name,
ConfigMap key, schedule, deadline, Secret keys and config once, as a YAML list that cronjob.yaml and
configmap.yaml read (fromYamlArray).
*/}}

{{/*
A CronJob name for the probe: <fullname>-<probe>, "_" as "-". Kubernetes adds 11 characters for
each Job, so at most 52: a longer name, or one the change of "_" could make collide, is cut and ends
in "-" + 8 hex digits of the probe name's sha256.
*/}}
{{- define "mailprobe.probeJobName" -}}
{{- $clean := .probe | replace "_" "-" | trimSuffix "-" -}}
{{- $name := printf "%s-%s" .fullname $clean -}}
{{- if or (gt (len $name) 52) (ne $clean .probe) -}}
{{- printf "%s-%s" ($name | trunc 43 | trimSuffix "-") (.probe | sha256sum | trunc 8) -}}
{{- else -}}
{{- $name -}}
{{- end -}}
{{- end -}}

{{/*
The schedule of the index-th probe: cronjob.schedule with its minute field moved on by index
minutes, so the probes do not all start at once. Every N minutes ("*" "/N") becomes "M-59/N" with
M = index mod N; a single minute M becomes (M + index) mod 60; every minute ("*") stays. Any other
minute field cannot be staggered: refused.
*/}}
{{- define "mailprobe.probeSchedule" -}}
{{- $fields := regexSplit " +" (trim .schedule) -1 -}}
{{- $minute := first $fields -}}
{{- $rest := rest $fields | join " " -}}
{{- if eq $minute "*" -}}{{ .schedule }}
{{- else if regexMatch "^\\*/[0-9]+$" $minute -}}
{{- $n := trimPrefix "*/" $minute | int -}}
{{- if le $n 1 -}}{{ .schedule }}
{{- else -}}{{ printf "%d-59/%d %s" (mod .index $n) $n $rest }}
{{- end -}}
{{- else if regexMatch "^[0-9]+$" $minute -}}
{{- printf "%d %s" (mod (add (int $minute) .index) 60) $rest -}}
{{- else -}}
{{- fail (printf "cronjob.perProbe staggers the minute field of cronjob.schedule, which must be */N, one minute or * (e.g. */20 * * * * or 5 * * * *); %q is neither" .schedule) -}}
{{- end -}}
{{- end -}}

{{/* The Secret keys a config refers to: every "<secrets.mountPath>/<key>" string in it. */}}
{{- define "mailprobe.secretKeysOf" -}}
{{- $prefix := printf "%s/" (.mountPath | trimSuffix "/") -}}
{{- $found := regexFindAll (printf "\"%s[-._a-zA-Z0-9]+\"" (regexQuoteMeta $prefix)) (toJson .config) -1 -}}
{{- $keys := list -}}
{{- range $found }}{{ $keys = append $keys (trimPrefix $prefix (trimAll "\"" .)) }}{{ end -}}
{{- $keys | uniq | sortAlpha | toJson -}}
{{- end -}}

{{- define "mailprobe.probeJobs" -}}
{{- $root := . -}}
{{- $full := include "mailprobe.fullname" . -}}
{{- $cfg := include "mailprobe.config" . | fromYaml -}}
{{- $jobs := list -}}
{{- $seen := dict -}}
{{- range $i, $p := $cfg.probes -}}
{{- $name := include "mailprobe.probeJobName" (dict "fullname" $full "probe" $p.name) -}}
{{- if hasKey $seen $name -}}
{{- fail (printf "cronjob.perProbe: probes %s and %s get the same CronJob name %s (two probes of one name?)" (get $seen $name) $p.name $name) -}}
{{- end -}}
{{- $_ := set $seen $name $p.name -}}
{{- $own := omit $cfg "probes" -}}
{{- $_ := set $own "probes" (list $p) -}}
{{- $deadline := $root.Values.cronjob.activeDeadlineSeconds -}}
{{- if not $deadline -}}
{{- $deadline = add (include "mailprobe.probeSeconds" $p) 10 (include "mailprobe.sinkBudget" (dict "root" $root "probes" (list $p))) 30 -}}
{{- end -}}
{{- $jobs = append $jobs (dict
  "probe" $p.name
  "name" $name
  "key" (printf "%s.yaml" $name)
  "schedule" (include "mailprobe.probeSchedule" (dict "schedule" $root.Values.cronjob.schedule "index" $i))
  "deadline" (int $deadline)
  "secretKeys" (include "mailprobe.secretKeysOf" (dict "mountPath" $root.Values.secrets.mountPath "config" $own) | fromJsonArray)
  "config" (toYaml $own)) -}}
{{- end -}}
{{- toYaml $jobs -}}
{{- end -}}
