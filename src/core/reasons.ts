// The one catalogue of failure reasons. The same codes are the `reason` metric label, the JSON
// `reason` field and the README's troubleshooting table (test/readme.test.ts keeps them in step).
export const REASONS = {
  send_rejected:
    "The sender refused the message (Brevo 4xx such as a bad API key or an unverified sender; SMTP 5xx or failed auth). Check the key, the sender address and the recipient.",
  send_rate_limited: "Brevo answered 429 and its rate-limit reset did not fit in the deadline. Lower the probe frequency or check the account's plan.",
  send_timeout: "The sender did not answer within its timeout, also after retries. Check the network path to Brevo or the SMTP server.",
  send_failed: "The sender failed for another reason (5xx after retries, connection refused, TLS error on submission). The detail says which.",
  not_delivered: "The sender accepted the message but no path saw it before the deadline. The diagnosis field says what Brevo saw.",
  landed_in_junk: "The message was delivered into the Junk mailbox instead of the watched one: spam filtering scored it.",
  imap_connect: "TCP connect, greeting or the PROXY hop to the IMAP server failed or timed out. Check the host, port, firewall and HAProxy.",
  imap_auth:
    "The IMAP server refused the login. Check the user and the password (file); with many paths to one server, also Dovecot's mail_max_userip_connections (default 10 per user and address).",
  imap_mailbox: "The mailbox could not be opened. Check its name (case, separator) and the user's rights.",
  imap_error: "The IMAP server failed a command or dropped the connection while waiting.",
  tls: "The TLS handshake failed: untrusted certificate (configure caFile), wrong server name (servername) or expired certificate.",
  real_ip_forbidden:
    "The entry Received header names a client IP inside forbiddenCidrs: the PROXY header was lost and the mailserver saw the SNAT/node address.",
  real_ip_unexpected: "The entry Received header names a client IP outside expectedCidrs: the message did not arrive through the expected relay.",
  real_ip_missing: "No Received header written by one of received.mxHosts names a client IP. Check mxHosts against the `by` part of the headers.",
  entry_hop_unparsed:
    "A Received header written by one of received.mxHosts does not parse under received.mta's grammar (or its client text imitates the structure); mailprobe never guesses the client. Set received.mta to the MTA that writes it: the run's hint names each other grammar that reads the header and the client it would name (doctor sends no mail, so it cannot).",
  entry_hop_plaintext:
    "received.requireTls is set and the entry Received header shows the hop into our MX without TLS (`with ESMTP`, not `ESMTPS`); a header that cannot tell (Postfix `with SMTP` without TLS details) is not plaintext. Check the sender's TLS and the listener's certificate.",
  auth_failed:
    "A method in the route's authResults.require did not pass in our MX's own Authentication-Results, or that header is absent or says `none` (the filter skipped the checks: the client may be in Rspamd's local_addrs, or the filter is down). The detail names the method and its result.",
  spam_score_high:
    "The message was delivered, but the MX's filter scored it above the route's spam.maxScore. The detail has the score; Rspamd's X-Spamd-Result lists the symbols.",
  open_relay:
    "An SMTP entry point accepted an unauthenticated RCPT to a foreign domain (relayCheck): the mailserver relays for anyone, typically because the PROXY header was lost and the node range is in mynetworks. Probe-level: run_success is 0, the paths keep their own reasons.",
  aborted: "The run was interrupted (SIGTERM/SIGINT or the process deadline) before a verdict; its message is deleted or left to the stale sweep.",
  config_invalid:
    "serve re-read its config file and secret files at the start of the cycle (a rotated Secret) and they no longer load: the cycle sent nothing. The detail names the field; serve keeps running and tries again next cycle.",
  internal_error: "A bug in mailprobe. The detail has the message; please report it.",
} as const satisfies Record<string, string>;

export type Reason = keyof typeof REASONS;

export const REASON_CODES = Object.keys(REASONS) as Reason[];

/** What Brevo's event log says happened to a message that no path saw (diagnosis of not_delivered). */
export const DIAGNOSES = {
  delivered_not_seen: "Brevo delivered it to our MX, so the loss is inside our mailserver (filtering, routing, the mailbox).",
  upstream_deferred: "Brevo could not deliver yet and keeps retrying: our MX refused it temporarily or timed out.",
  upstream_bounced: "Brevo gave up: our MX refused it permanently (hard bounce); Brevo now blocks the recipient.",
  upstream_blocked: "Brevo did not try: the recipient is on Brevo's blocklist.",
  upstream_error: "Brevo recorded an error sending it (its own failure, not our MX's answer).",
  upstream_accepted_only: "Brevo recorded the request and nothing after it yet.",
  upstream_unknown: "Brevo's event log could not be read or has no events for the message.",
} as const satisfies Record<string, string>;

export type Diagnosis = keyof typeof DIAGNOSES;
