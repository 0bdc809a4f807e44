{{/* The alert rules, one template each; prometheusrule.yaml adds alert, runbook_url and extra labels. $r = .Values.prometheusRule */}}

{{- define "mailprobe.rule.MailprobePathFailing" -}}
{{- $r := .Values.prometheusRule -}}
# Fails now, and the last run finished more than ~1.5 intervals after the last success on
# the path: at least two runs in a row failed.
expr: |
  max by (job, deployment, probe, path) (mailprobe_success) == 0
  and on (job, deployment, probe, path)
  (
    max by (job, deployment, probe) (mailprobe_last_run_timestamp_seconds)
    - on (job, deployment, probe) group_right
    max by (job, deployment, probe, path) (mailprobe_last_success_timestamp_seconds)
  ) > {{ $r.failingAfterSeconds }}
  {{- include "mailprobe.rule.unlessUnexpected" . }}
labels:
  severity: critical
annotations:
  summary: {{`mail path {{ $labels.probe }}/{{ $labels.path }} is failing`}}
  description: mailprobe's message did not make it on this path for two runs; mailprobe_failure_reason says why.
{{- end }}

{{- define "mailprobe.rule.MailprobePathNeverSucceeded" -}}
{{- $r := .Values.prometheusRule -}}
# A path that has never succeeded (new install, or the Pushgateway lost its groups).
expr: |
  max by (job, deployment, probe, path) (mailprobe_success) == 0
  unless on (job, deployment, probe, path)
  max by (job, deployment, probe, path) (mailprobe_last_success_timestamp_seconds)
  {{- include "mailprobe.rule.unlessUnexpected" . }}
for: {{ $r.neverSucceededFor }}
labels:
  severity: critical
annotations:
  summary: {{`mail path {{ $labels.probe }}/{{ $labels.path }} is failing`}}
  description: mailprobe's message has never made it on this path; mailprobe_failure_reason says why.
{{- end }}

{{/* A path failing with real_ip_unexpected is MailprobeRealClientIpUnexpected's (a warning), not also a failing path's page (unless that alert is off). */}}
{{- define "mailprobe.rule.unlessUnexpected" -}}
{{- if dig "MailprobeRealClientIpUnexpected" "enabled" true .Values.prometheusRule.rules }}
  unless on (job, deployment, probe, path)
  max by (job, deployment, probe, path) (mailprobe_failure_reason{reason="real_ip_unexpected"}) == 1
{{- end }}
{{- end }}

{{- define "mailprobe.rule.MailprobeRealClientIpLost" -}}
{{- $r := .Values.prometheusRule -}}
# The PROXY header was lost: the entry hop names an address in forbiddenCidrs. At once.
expr: max by (job, deployment, probe, path) (mailprobe_failure_reason{reason="real_ip_forbidden"}) == 1
labels:
  severity: critical
annotations:
  summary: {{`the mailserver no longer sees the real client IP on {{ $labels.probe }}/{{ $labels.path }}`}}
  description: The entry Received header names an address in forbiddenCidrs (the SNAT/node ranges); the PROXY protocol hop is broken and spam checks act on the wrong IP.
{{- end }}

{{- define "mailprobe.rule.MailprobeRealClientIpUnexpected" -}}
{{- $r := .Values.prometheusRule -}}
# The entry hop names an address outside expectedCidrs: usually the sender (Brevo) relaying from a
# new range, not an attack. A warning, after a few runs.
expr: max by (job, deployment, probe, path) (mailprobe_failure_reason{reason="real_ip_unexpected"}) == 1
for: {{ $r.realIpUnexpectedFor }}
labels:
  severity: warning
annotations:
  summary: {{`mail on {{ $labels.probe }}/{{ $labels.path }} arrives from an address outside expectedCidrs`}}
  description: The entry Received header names a client IP outside received.expectedCidrs; if it is the sender's new relay range, add it to expectedCidrs (runbook).
{{- end }}

{{- define "mailprobe.rule.MailprobeStale" -}}
{{- $r := .Values.prometheusRule -}}
# Runs go on, but this path has reported no success for a while without failing either (a path
# dropped from the config whose group stays, a run that no longer reaches it). Quiet while the path
# fails (MailprobePathFailing) and while the runs stopped (MailprobeRunsStopped).
expr: |
  (time() - max by (job, deployment, probe, path) (mailprobe_last_success_timestamp_seconds)) > {{ $r.staleAfterSeconds }}
  unless on (job, deployment, probe, path)
  (max by (job, deployment, probe, path) (mailprobe_success) == 0)
  unless on (job, deployment, probe)
  ((time() - max by (job, deployment, probe) (mailprobe_last_run_timestamp_seconds)) > {{ $r.runsStoppedAfterSeconds }})
labels:
  severity: warning
annotations:
  summary: {{`no successful mailprobe run on {{ $labels.probe }}/{{ $labels.path }} for {{ $value | humanizeDuration }}`}}
  description: The probe still runs but no longer reports this path (a path removed from the config whose Pushgateway group stayed, or a run that never reaches it).
{{- end }}

{{- define "mailprobe.rule.MailprobeRunsStopped" -}}
{{- $r := .Values.prometheusRule -}}
# No run has finished for a while, whatever the last run said: the other alerts act on frozen values.
expr: (time() - max by (job, deployment, probe) (mailprobe_last_run_timestamp_seconds)) > {{ $r.runsStoppedAfterSeconds }}
labels:
  severity: warning
annotations:
  summary: {{`no mailprobe run of {{ $labels.probe }} has finished for {{ $value | humanizeDuration }}`}}
  description: The CronJob or exporter stopped running or reporting (check the CronJob's jobs, the Pushgateway and the scrape); every other mailprobe alert of this probe shows the last run's values.
{{- end }}

{{- define "mailprobe.rule.MailprobeAbsent" -}}
{{- $r := .Values.prometheusRule -}}
expr: absent(mailprobe_last_run_timestamp_seconds)
for: {{ $r.absentFor }}
labels:
  severity: warning
annotations:
  summary: no mailprobe metrics at all
  description: No mailprobe run has reported in {{ $r.absentFor }}; check that the CronJob exists and the Pushgateway is scraped.
{{- end }}

{{- define "mailprobe.rule.MailprobeRoundtripSlow" -}}
{{- $r := .Values.prometheusRule -}}
expr: max by (job, deployment, probe, path) (mailprobe_roundtrip_seconds) > {{ $r.roundtripThresholdSeconds }}
for: {{ $r.roundtripFor }}
labels:
  severity: warning
annotations:
  summary: {{`mail takes {{ $value | humanize }}s to arrive on {{ $labels.probe }}/{{ $labels.path }}`}}
  description: Roundtrip above {{ $r.roundtripThresholdSeconds }} s (queue, greylisting, a slow filter or the sender's own delay).
{{- end }}

{{- define "mailprobe.rule.MailprobeTlsCertExpiringSoon" -}}
{{- $r := .Values.prometheusRule -}}
expr: (max by (job, deployment, probe, path) (mailprobe_tls_cert_expiry_timestamp_seconds) - time()) < {{ mul $r.tlsDaysLeft 86400 }}
labels:
  severity: warning
annotations:
  summary: {{`the IMAP certificate on {{ $labels.probe }}/{{ $labels.path }} expires in {{ $value | humanizeDuration }}`}}
{{- end }}

{{- define "mailprobe.rule.MailprobeAuthFailed" -}}
{{- $r := .Values.prometheusRule -}}
# A required authentication method (SPF, DKIM, DMARC, … as the mailserver's Authentication-Results
# judged the probe message) did not pass. Methods marked not required are shown, never alerted.
expr: max by (job, deployment, probe, path, method) (mailprobe_auth_result{required="true"}) == 0
labels:
  severity: warning
annotations:
  summary: {{`'{{ $labels.method }} fails for the probe message on {{ $labels.probe }}/{{ $labels.path }}'`}}
  description: The mailserver's Authentication-Results header says the probe message failed a method the config requires; mail from this sender route may be junked or rejected.
{{- end }}

{{- define "mailprobe.rule.MailprobeSpamScoreHigh" -}}
{{- $r := .Values.prometheusRule -}}
expr: max by (job, deployment, probe, path) (mailprobe_spam_score) > {{ $r.spamScoreThreshold }}
labels:
  severity: warning
annotations:
  summary: {{`the probe message scored {{ $value }} on {{ $labels.probe }}`}}
  description: The spam filter's score of the probe message is above {{ $r.spamScoreThreshold }}; real mail from the same route is at risk of being junked.
{{- end }}

{{- define "mailprobe.rule.MailprobeOpenRelay" -}}
{{- $r := .Values.prometheusRule -}}
expr: max by (job, deployment, probe, entry) (mailprobe_open_relay) == 1
labels:
  severity: critical
annotations:
  summary: {{`the mailserver relays for anyone at {{ $labels.entry }} ({{ $labels.probe }})`}}
  description: An unauthenticated client could send mail to a foreign domain through this entry point; spammers find open relays within hours.
{{- end }}

{{- define "mailprobe.rule.MailprobeRelaysForLan" -}}
{{- $r := .Values.prometheusRule -}}
# A `from: lan` relayCheck entry relays: the server saw the node's LAN address (the public name
# reached from inside the cluster), not a stranger's. Often mynetworks on purpose: a warning.
expr: max by (job, deployment, probe, entry) (mailprobe_relays_for_lan) == 1
for: {{ $r.relaysForLanFor }}
labels:
  severity: warning
annotations:
  summary: {{`the mailserver relays for the LAN at {{ $labels.entry }} ({{ $labels.probe }})`}}
  description: An unauthenticated client on the LAN (the node's address after NAT) could send mail to a foreign domain through this entry point; fine only if the LAN is meant to relay.
{{- end }}

{{- define "mailprobe.rule.MailprobeRelayCheckFailed" -}}
{{- $r := .Values.prometheusRule -}}
# The relay check of an entry point could not complete (connection, TLS handshake — an expired or
# untrusted certificate, a wrong name —, a 4xx or a refused MAIL FROM): open relay unknown.
expr: min by (job, deployment, probe, entry) (mailprobe_relay_check_ok) == 0
for: {{ $r.relayCheckFailedFor }}
labels:
  severity: warning
annotations:
  summary: {{`the relay check of {{ $labels.entry }} ({{ $labels.probe }}) could not complete`}}
  description: mailprobe could not tell whether this entry point refuses to relay; the run's output names why (an expired certificate shows here, not as MailprobeSmtpCertExpiringSoon).
{{- end }}

{{- define "mailprobe.rule.MailprobeSmtpCertExpiringSoon" -}}
{{- $r := .Values.prometheusRule -}}
expr: (min by (job, deployment, probe, listener) (mailprobe_smtp_tls_cert_expiry_timestamp_seconds) - time()) < {{ mul $r.smtpTlsDaysLeft 86400 }}
labels:
  severity: warning
annotations:
  summary: {{`the SMTP certificate on {{ $labels.probe }}/{{ $labels.listener }} expires in {{ $value | humanizeDuration }}`}}
  description: The certificate an SMTP listener presents expires within {{ $r.smtpTlsDaysLeft }} days; senders that verify it will fail after that.
{{- end }}

{{- define "mailprobe.rule.MailprobeBrevoCreditsLow" -}}
{{- $r := .Values.prometheusRule -}}
expr: min by (job, deployment, probe) (mailprobe_brevo_credits_remaining) < {{ $r.brevoCreditsThreshold }}
labels:
  severity: warning
annotations:
  summary: {{`Brevo has {{ $value }} send credits left ({{ $labels.probe }})`}}
  description: Below {{ $r.brevoCreditsThreshold }} credits; when they run out Brevo refuses to send and every path fails.
{{- end }}

{{- define "mailprobe.rule.MailprobeLeftBehind" -}}
{{- $r := .Values.prometheusRule -}}
# Stale probe messages the sweep saw but did not remove pile up in the mailbox (README: Metrics).
expr: max by (job, deployment, probe, path) (mailprobe_messages_left_behind) > 0
labels:
  severity: warning
annotations:
  summary: {{`'{{ $value }} probe messages left behind on {{ $labels.probe }}/{{ $labels.path }}'`}}
  description: Stale probe messages from the configured sender stay in the mailbox (the server has neither UIDPLUS nor MOVE, their removal failed, or no tokenKey proves them ours).
{{- end }}

{{- define "mailprobe.rule.MailprobeRunOverrun" -}}
{{- $r := .Values.prometheusRule -}}
# serve: a cycle was still running when the next one was due (the next one was skipped).
expr: sum by (job, deployment, probe) (increase(mailprobe_overruns_total[{{ $r.overrunWindow }}])) > 0
labels:
  severity: warning
annotations:
  summary: {{`mailprobe cycles of {{ $labels.probe }} overrun their schedule`}}
  description: A cycle lasted longer than the schedule interval; runs are being skipped. Raise the interval or lower timeoutSeconds.
{{- end }}

{{- define "mailprobe.rule.MailprobeWedged" -}}
{{- $r := .Values.prometheusRule -}}
# serve: a cycle is past its deadline and cleanup budget and still not finished.
expr: max by (job, deployment, probe) (mailprobe_cycle_stuck) == 1
for: {{ $r.wedgedFor }}
labels:
  severity: critical
annotations:
  summary: {{`mailprobe's cycle of {{ $labels.probe }} is wedged`}}
  description: A cycle has not finished long after its deadline; the exporter reports stale values. Restart the pod and report the logs.
{{- end }}

{{/* The enabled alert rules as a YAML list: each from its template in _rules.tpl, with alert, runbook_url and prometheusRule.alertLabels. */}}
{{- define "mailprobe.alertRules" -}}
{{- $r := .Values.prometheusRule -}}
{{- $rules := list -}}
{{- range $name := list "MailprobePathFailing" "MailprobePathNeverSucceeded" "MailprobeRealClientIpLost" "MailprobeRealClientIpUnexpected" "MailprobeStale" "MailprobeRunsStopped" "MailprobeAbsent" "MailprobeRoundtripSlow" "MailprobeTlsCertExpiringSoon" "MailprobeAuthFailed" "MailprobeSpamScoreHigh" "MailprobeOpenRelay" "MailprobeRelaysForLan" "MailprobeRelayCheckFailed" "MailprobeSmtpCertExpiringSoon" "MailprobeBrevoCreditsLow" "MailprobeLeftBehind" "MailprobeRunOverrun" "MailprobeWedged" -}}
{{- $o := default (dict) (get (default (dict) $r.rules) $name) -}}
{{- if dig "enabled" true $o -}}
{{- $rule := include (printf "mailprobe.rule.%s" $name) $ | fromYaml -}}
{{- /* Labels: alertLabels, then the rule's own (severity stays), then the rule's overrides. */}}
{{- $labels := merge (dict) (default (dict) $o.labels) (default (dict) $rule.labels) (default (dict) $r.alertLabels) -}}
{{- with $o.severity }}{{ $_ := set $labels "severity" . }}{{ end -}}
{{- $_ := set $rule "labels" $labels -}}
{{- /* Annotations: the rule's own and runbook_url, additionalRuleAnnotations where the rule has none of that name, then the rule's overrides. */}}
{{- $ann := merge (dict "runbook_url" (printf "%s#%s" $r.runbookBaseUrl (lower $name))) (default (dict) $rule.annotations) -}}
{{- $ann = merge (deepCopy (default (dict) $o.annotations)) $ann (default (dict) $r.additionalRuleAnnotations) -}}
{{- $_ := set $rule "annotations" $ann -}}
{{- if hasKey $o "for" -}}
{{- if $o.for }}{{ $_ := set $rule "for" $o.for }}{{ else }}{{ $_ := unset $rule "for" }}{{ end -}}
{{- end -}}
{{- $rules = append $rules (merge (dict "alert" $name) $rule) -}}
{{- end -}}
{{- end -}}
{{- toYaml $rules -}}
{{- end -}}
