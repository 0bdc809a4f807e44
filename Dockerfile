# syntax=docker/dockerfile:1
# mailprobe: build with the dev dependencies, ship only the bundle on Node 24.
# The entry point is dist/bundle/ (esbuild, scripts/bundle.mjs): every production dependency's code
# is inside it, so the image carries no node_modules. Image scanners read the CycloneDX SBOM of the
# packages inside the bundle (written by scripts/bundle.mjs from esbuild's metafile) at
# /app/sbom.cdx.json instead (/app: 2.3 MB instead of 47 MB).
#
# NODE_IMAGE: the published node:24-alpine (musl) with Docker. Where no registry can be pulled,
# scripts/image.sh builds a glibc base from the machine (Node 24 and npm from npm, Debian's libc,
# busybox) and builds this file on it with buildah; test/ship/image.test.ts does that and runs the
# result. Keep every command portable between the two: no apk, no apt.
ARG NODE_IMAGE=node:24-alpine

FROM ${NODE_IMAGE} AS build
WORKDIR /mailprobe
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY scripts/bundle.mjs ./scripts/
COPY src ./src
RUN npm run build

FROM ${NODE_IMAGE}
ARG NODE_IMAGE
ARG VERSION=0.1.0
ARG REVISION=unknown
ARG CREATED=unknown
LABEL org.opencontainers.image.title="mailprobe" \
      org.opencontainers.image.description="End-to-end mail-path probe and Prometheus exporter" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}" \
      org.opencontainers.image.created="${CREATED}" \
      org.opencontainers.image.licenses="MIT" \
      org.opencontainers.image.source="https://github.com/mailprobe/mailprobe" \
      org.opencontainers.image.base.name="${NODE_IMAGE}"
ENV NODE_ENV=production \
    HOME=/tmp \
    MAILPROBE_CONFIG=/etc/mailprobe/config.yaml
WORKDIR /app
# npm, npx, corepack and yarn are not needed at run time: less to patch, less to scan.
RUN rm -rf /usr/local/lib/node_modules/npm /usr/local/lib/node_modules/corepack /usr/local/bin/npm /usr/local/bin/npx \
           /usr/local/bin/corepack /opt/yarn* /usr/local/bin/yarn /usr/local/bin/yarnpkg /root/.npm
# package.json gives the bundle its "type": "module".
COPY --from=build --chown=0:0 /mailprobe/package.json /mailprobe/dist/sbom.cdx.json /app/
COPY --from=build --chown=0:0 /mailprobe/dist/bundle /app/dist/bundle
# Node's compile cache (issue 14, docs/benchmarks.md): written at build time because the root
# filesystem is read-only at run time and /tmp is fresh per pod. Its folder's name holds the Node
# version, a hash of the V8 flags and the uid, and its files are 0600: so it is written as uid 10001
# with the ENTRYPOINT's exact flags. Every chunk is imported (they only define functions) but the
# entry and bin-*.js (which run the CLI), then the entry runs --version, which caches those two.
RUN mkdir /app/.compile-cache && chown 10001:10001 /app/.compile-cache
# Numeric non-root user (Kubernetes runAsNonRoot can verify it); nothing is written outside /tmp,
# so the root filesystem can be read-only.
USER 10001:10001
RUN NODE_COMPILE_CACHE=/app/.compile-cache node --lite-mode --initial-old-space-size=16 --input-type=module -e 'import { readdirSync } from "node:fs"; \
      for (const f of readdirSync("/app/dist/bundle").sort()) if (f.endsWith(".js") && f !== "mailprobe.js" && !f.startsWith("bin-")) await import(`/app/dist/bundle/${f}`); \
      (await import("node:module")).flushCompileCache();' \
 && NODE_COMPILE_CACHE=/app/.compile-cache node --lite-mode --initial-old-space-size=16 /app/dist/bundle/mailprobe.js --version
ENV NODE_COMPILE_CACHE=/app/.compile-cache
EXPOSE 9465
# --lite-mode (V8 trades speed for memory: no optimizing compiler, lazier feedback): a run's peak RSS ~86 → ~74 MiB at no
# measurable CPU cost; NODE_OPTIONS does not accept it, so it is here (docs/benchmarks.md). --initial-old-space-size=16:
# under --lite-mode a run's old generation starts so small that V8 runs two full GCs at ~7 MiB of a ~10 MiB heap
# (~12 ms of each run); from 16 MiB none, RSS unchanged (docs/benchmarks.md §9). The bench reads these flags from here.
ENTRYPOINT ["node", "--lite-mode", "--initial-old-space-size=16", "/app/dist/bundle/mailprobe.js"]
CMD ["--help"]
