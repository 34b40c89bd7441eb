#!/bin/sh
# Runs once, on an empty volume (docker-entrypoint-initdb.d): one database and
# one owning role per service, so Better Auth and Warden never share tables.
set -eu
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "${POSTGRES_DB:-$POSTGRES_USER}" \
  -v auth_password="${AUTH_DB_PASSWORD:?AUTH_DB_PASSWORD is required}" \
  -v warden_password="${WARDEN_DB_PASSWORD:?WARDEN_DB_PASSWORD is required}" <<'SQL'
CREATE ROLE better_auth LOGIN PASSWORD :'auth_password';
CREATE DATABASE better_auth OWNER better_auth;
CREATE ROLE warden LOGIN PASSWORD :'warden_password';
CREATE DATABASE warden OWNER warden;
SQL
