# Rendered into {{LAB}}/etc/dovecot-inboxdot/junk.sieve (sieve_before of LMTP), compiled by sievec at lab start.
# Junk filing in the INBOX. layout: mail Rspamd marked as spam, and mail for probe+Junk@… (the lab's way
# of staging a Junk landing), go to INBOX.Junk.
require ["fileinto", "envelope", "subaddress"];
if anyof (header :matches "X-Spam-Status" "Yes,*", envelope :detail "to" "Junk") {
  fileinto "INBOX.Junk";
  stop;
}
