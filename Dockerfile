# syntax=docker/dockerfile:1
# n8n webhook bridge: build with the dev toolchain, run the compiled app with production deps only.

ARG NODE_IMAGE=node:24-bookworm-slim

# ---- build: install everything, compile, then drop dev dependencies ----
FROM ${NODE_IMAGE} AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund --loglevel=error
COPY tsconfig.json tsconfig.build.json nest-cli.json ./
COPY src ./src
COPY migrations ./migrations
RUN npm run build && npm prune --omit=dev --no-audit --no-fund --loglevel=error

# ---- runtime: compiled code and production node_modules, owned by root, run as `node` ----
FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production \
    PORT=3000
WORKDIR /app
COPY --from=build /app/package.json ./package.json
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
USER node
EXPOSE 3000
# No curl in the slim image: Node's own fetch. /health/live = the process serves HTTP (the worker
# role has no HTTP server: docker-compose.yml switches this check off for it).
HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||3000)+'/health/live').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
# Nest's shutdown hooks drain work on SIGTERM (docker stop); give it time: `stop_grace_period`.
STOPSIGNAL SIGTERM
# A 256 MB old-generation cap and 16 MB semi-spaces keep RSS near 230 MB under a burst at no
# measured throughput cost (V8 otherwise grows the heap lazily to ~500 MB, and its young
# generation alone to ~100 MB); see docs/performance.md.
CMD ["node", "--max-old-space-size=256", "--max-semi-space-size=16", "dist/src/main.js"]
