# syntax=docker/dockerfile:1
# The crosstrace image: the collector (`crosstrace-collector`) and the nginx log bridge
# (`crosstrace-nginx-bridge`) on Node 24, running as a non-root user. Built from the repository
# root:  docker build -t ghcr.io/crosstrace/crosstrace:0.1.0 .
# (Not built in this repository's CI: its machines reach no container registry for base images.
# deploy/kubernetes/test checks this file against the manifests.)

# ---- build: compile TypeScript and better-sqlite3, keep production dependencies only ----------
FROM node:24-bookworm-slim AS build
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ ca-certificates \
 && rm -rf /var/lib/apt/lists/*
RUN npm install -g pnpm@10
WORKDIR /src
COPY package.json pnpm-lock.yaml pnpm-workspace.yaml .pnpmfile.cjs tsconfig.base.json ./
COPY packages/tracer/package.json packages/tracer/
COPY packages/nginx-log-bridge/package.json packages/nginx-log-bridge/
COPY packages/collector/package.json packages/collector/
RUN pnpm install --frozen-lockfile \
      --filter @crosstrace/collector... --filter @crosstrace/nginx-log-bridge...
COPY packages/tracer packages/tracer
COPY packages/nginx-log-bridge packages/nginx-log-bridge
COPY packages/collector packages/collector
RUN pnpm --filter @crosstrace/collector... --filter @crosstrace/nginx-log-bridge... run build \
 && pnpm --filter @crosstrace/collector deploy --legacy --prod /out/collector \
 && pnpm --filter @crosstrace/nginx-log-bridge deploy --legacy --prod /out/nginx-log-bridge \
 && chmod +x /out/collector/dist/cli.js /out/nginx-log-bridge/dist/cli.js

# ---- runtime: the slim Node image, the two programs, a user of their own ----------------------
FROM node:24-bookworm-slim
ENV NODE_ENV=production
COPY --from=build /out/collector /opt/crosstrace/collector
COPY --from=build /out/nginx-log-bridge /opt/crosstrace/nginx-log-bridge
RUN groupadd --gid 10001 crosstrace \
 && useradd --uid 10001 --gid 10001 --no-create-home --shell /usr/sbin/nologin crosstrace \
 && ln -s /opt/crosstrace/collector/dist/cli.js /usr/local/bin/crosstrace-collector \
 && ln -s /opt/crosstrace/nginx-log-bridge/dist/cli.js /usr/local/bin/crosstrace-nginx-bridge \
 && mkdir -p /var/lib/crosstrace \
 && chown 10001:10001 /var/lib/crosstrace
USER 10001:10001
WORKDIR /var/lib/crosstrace
# OTLP/gRPC, OTLP/HTTP (+ /k8s/audit, /k8s/objects, health), query API, bridge metrics
EXPOSE 4317 4318 16686 9464
ENTRYPOINT ["crosstrace-collector"]
