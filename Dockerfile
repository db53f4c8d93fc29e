# One image per app of the monorepo, all from this file:
#
#   docker build --build-arg APP=api-gateway     -t exports/api-gateway .
#   docker build --build-arg APP=export-worker   -t exports/export-worker .
#   docker build --build-arg APP=history-service -t exports/history-service .
#
# Only the last layers depend on APP, so the three builds share the install and
# compile layers. The image's command runs `node dist/apps/${APP}/src/main.js`;
# the compiled tools are in it too, e.g.
#   docker-compose exec api-gateway node dist/tools/admin/main.js account:create --name demo
#
# Deliberately no BuildKit-only syntax (cache mounts, COPY --chmod): the file also
# builds with the classic builder that docker-compose v1 may use.

ARG NODE_IMAGE=node:20-bookworm-slim

# ---------------------------------------------------------------------------
# build: all dependencies, compile TypeScript into dist/
# ---------------------------------------------------------------------------
FROM ${NODE_IMAGE} AS build
WORKDIR /app
# No telemetry or Nx daemon/cloud inside an image build.
ENV NX_DAEMON=false \
    NX_NO_CLOUD=true \
    SCARF_ANALYTICS=false \
    npm_config_update_notifier=false \
    npm_config_fund=false \
    npm_config_audit=false
# The repo's .npmrc sets loglevel=silent (for `npm run admin` output). npm still
# exits non-zero on failure, but would print nothing, so every npm call here asks
# for warnings explicitly (a command-line flag beats .npmrc).
COPY package.json package-lock.json .npmrc ./
RUN npm ci --loglevel=warn
COPY . .
RUN npm run build --loglevel=warn \
 && rm -f dist/.tsbuildinfo \
 && test -f dist/apps/api-gateway/src/main.js \
 && test -f dist/apps/export-worker/src/main.js \
 && test -f dist/apps/history-service/src/main.js

# ---------------------------------------------------------------------------
# prod-deps: production dependencies only, straight from the lockfile
# ---------------------------------------------------------------------------
FROM ${NODE_IMAGE} AS prod-deps
WORKDIR /app
ENV SCARF_ANALYTICS=false \
    npm_config_update_notifier=false \
    npm_config_fund=false \
    npm_config_audit=false
COPY package.json package-lock.json .npmrc ./
RUN npm ci --omit=dev --loglevel=warn

# ---------------------------------------------------------------------------
# runtime: dist/ + production node_modules + package.json, non-root
# ---------------------------------------------------------------------------
FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production
WORKDIR /app
# Owned by root and read-only for the `node` user that runs the app: the apps
# write nothing to disk (exports stream to S3).
COPY --from=prod-deps /app/package.json ./package.json
COPY --from=prod-deps /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist

# Declared last so that everything above is shared by the three app images.
ARG APP=api-gateway
ENV APP=${APP}
RUN test -f "dist/apps/${APP}/src/main.js" \
 || { echo "APP=${APP}: no dist/apps/${APP}/src/main.js (use api-gateway, export-worker or history-service)" >&2; exit 1; }

USER node
# api-gateway serves the API on PORT (default 3000); every app serves /metrics and /health on OPS_PORT (9100-9102), for the internal network only.
EXPOSE 3000
# A shell expands ${APP}; `exec` makes node the shell's replacement, so it gets
# SIGTERM directly (the apps close gracefully on SIGINT/SIGTERM).
CMD ["/bin/sh", "-c", "exec node \"dist/apps/${APP}/src/main.js\""]
