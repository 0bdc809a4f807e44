# Rendered into {{LAB}}/etc/dovecot/junk.sieve (sieve_before of LMTP), compiled by sievec at lab start.
# As docker-mailserver does with Rspamd: mail the filter marked as spam goes to Junk. Rspamd's
# milter_headers writes "X-Spam-Status: Yes, score=…" when the action is "add header" or worse.
require ["fileinto"];
if header :matches "X-Spam-Status" "Yes,*" {
  fileinto "Junk";
  stop;
}
