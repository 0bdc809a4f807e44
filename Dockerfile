# syntax=docker/dockerfile:1
# mailprobe: build with the dev dependencies, ship only the production install and dist/ on Node 24.
# The entry point is dist/bundle/ (esbuild, scripts/bundle.mjs): it starts about twice as fast as the
# unbundled tree; node_modules stays so that image scanners see every dependency and its version.
# test/ship/image.test.ts repeats the production stage in a clean folder and runs a lab probe with it.
ARG NODE_IMAGE=node:24-alpine

FROM ${NODE_IMAGE} AS build
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY scripts/bundle.mjs ./scripts/
COPY src ./src
RUN npm run build

FROM ${NODE_IMAGE} AS production
WORKDIR /app
ENV NODE_ENV=production
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund && npm cache clean --force
COPY --from=build /src/dist ./dist

FROM ${NODE_IMAGE}
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
      org.opencontainers.image.base.name="docker.io/library/node:24-alpine"
ENV NODE_ENV=production \
    HOME=/tmp \
    MAILPROBE_CONFIG=/etc/mailprobe/config.yaml
WORKDIR /app
# npm is not needed at run time: less to patch, less to scan.
RUN rm -rf /usr/local/lib/node_modules/npm /usr/local/bin/npm /usr/local/bin/npx /opt/yarn* /usr/local/bin/yarn /usr/local/bin/yarnpkg
COPY --from=production --chown=0:0 /app /app
# Numeric non-root user (Kubernetes runAsNonRoot can verify it); nothing is written outside /tmp,
# so the root filesystem can be read-only.
USER 10001:10001
EXPOSE 9465
ENTRYPOINT ["node", "/app/dist/bundle/mailprobe.js"]
CMD ["--help"]
