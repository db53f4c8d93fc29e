#!/usr/bin/env bash
# /docker-entrypoint-initdb.d script of the postgres container (docker-compose.yml): runs
# roles.sql (mounted at /exports/roles.sql: not in initdb.d, which would run it without its
# variables) once, on the first start of an empty data volume, as the image's superuser.
# Passwords come from the container's environment.
set -euo pipefail
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname postgres \
  -v owner=exports_owner -v owner_password="${EXPORTS_OWNER_PASSWORD:?set EXPORTS_OWNER_PASSWORD}" \
  -v app=exports_app -v app_password="${EXPORTS_APP_PASSWORD:?set EXPORTS_APP_PASSWORD}" \
  -v database="${EXPORTS_DATABASE:-exports}" \
  -f /exports/roles.sql
