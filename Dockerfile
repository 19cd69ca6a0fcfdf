# syntax=docker/dockerfile:1
# The meshtrace collector image (the filter .wasm is NOT in it: it ships separately, see
# wasmplugin/Dockerfile).
#   docker build -t REGISTRY/meshtrace-collector:0.1.0 .
# Three stages: compile TypeScript with the dev dependencies, install production dependencies
# alone, then copy both into a clean runtime image that runs as a non-root user and writes
# nothing to its root filesystem (Kubernetes runs it with readOnlyRootFilesystem).
# Node 24, the active LTS: Node 20 reached end of life in April 2026, and the AWS SDK's releases
# after January 2027 need Node 22 or newer. The code itself runs on Node 20+ (package.json engines;
# the tests run on 20). Pin NODE_IMAGE by digest (node:24-trixie-slim@sha256:...) for
# reproducible builds.
ARG NODE_IMAGE=node:24-trixie-slim

FROM ${NODE_IMAGE} AS build
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json ./
COPY collector ./collector
# tsconfig.json also includes test/, scripts/ and bench/; .dockerignore keeps them out of the
# build context, so only the collector is compiled.
RUN npx tsc -p tsconfig.json

FROM ${NODE_IMAGE} AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund && npm cache clean --force

FROM ${NODE_IMAGE}
ENV NODE_ENV=production
WORKDIR /app
# package.json carries "type": "module", which the compiled ESM files need.
COPY package.json ./
COPY --from=deps /app/node_modules ./node_modules
COPY --from=build /src/dist/collector ./dist/collector
# The .proto files are read at start-up (collector/pdata/otlp-proto.ts looks in collector/proto).
COPY collector/proto ./collector/proto
COPY collector/config/default.yaml ./collector/config/default.yaml
# The `node` user of the official image, by number so that Kubernetes' runAsNonRoot can check it.
USER 1000:1000
# OTLP gRPC, OTLP HTTP, Zipkin, health_check, own metrics.
EXPOSE 4317 4318 9411 13133 8888
# The same command the collector's tests start it with: node dist/collector/cli.js --config FILE
# (test/deploy/cross-references.test.ts checks that ENTRYPOINT + CMD, the Deployment's args and
# the ConfigMap mount agree with it).
ENTRYPOINT ["node", "dist/collector/cli.js"]
CMD ["--config", "/etc/meshtrace/collector.yaml"]
