# syntax=docker/dockerfile:1
# mailprobe: build with the dev dependencies, ship only the bundle on Node 24.
# The entry point is dist/bundle/ (esbuild, scripts/bundle.mjs): every production dependency's code
# is inside it, so the image carries no node_modules. Image scanners read the CycloneDX SBOM of the
# production dependencies (npm sbom) at /app/sbom.cdx.json instead (/app: 2.3 MB instead of 47 MB).
#
# NODE_IMAGE: the published node:24-alpine (musl) with Docker. Where no registry can be pulled,
# scripts/image.sh builds a glibc base from the machine (Node 24 and npm from npm, Debian's libc,
# busybox) and builds this file on it with buildah; test/ship/image.test.ts does that and runs the
# result. Keep every command portable between the two: no apk, no apt.
ARG NODE_IMAGE=node:24-alpine

FROM ${NODE_IMAGE} AS build
# npm sbom names the application after its folder.
WORKDIR /mailprobe
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY scripts/bundle.mjs ./scripts/
COPY src ./src
RUN npm run build && npm sbom --omit=dev --sbom-format=cyclonedx --sbom-type=application > sbom.cdx.json

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
COPY --from=build --chown=0:0 /mailprobe/package.json /mailprobe/sbom.cdx.json /app/
COPY --from=build --chown=0:0 /mailprobe/dist/bundle /app/dist/bundle
# Numeric non-root user (Kubernetes runAsNonRoot can verify it); nothing is written outside /tmp,
# so the root filesystem can be read-only.
USER 10001:10001
EXPOSE 9465
ENTRYPOINT ["node", "/app/dist/bundle/mailprobe.js"]
CMD ["--help"]
