# Rendered into {{LAB}}/etc/dovecot/junk.sieve (sieve_before of LMTP), compiled by sievec at lab start.
# As docker-mailserver does with Rspamd: mail the filter marked as spam goes to Junk. Rspamd's
# milter_headers writes "X-Spam-Status: Yes, score=…" when the action is "add header" or worse.
require ["fileinto"];
# SpamAssassin (spamass-milter, stack=spamassassin) writes "X-Spam-Flag: YES" on spam.
if anyof (header :matches "X-Spam-Status" "Yes,*", header :is "X-Spam-Flag" "YES") {
  fileinto "Junk";
  stop;
}
