#!/bin/sh
# Create Temporal's two PostgreSQL databases when missing and bring both schemas up to the
# version this admin-tools image carries. Safe to run on every start: an existing database is
# kept, `setup-schema -v 0.0` leaves a versioned schema alone, and `update-schema` applies only
# the migrations newer than the stored version. docker-compose.yml runs it as temporal-schema.
set -eu

: "${POSTGRES_SEEDS:?POSTGRES_SEEDS is required}"
: "${POSTGRES_USER:?POSTGRES_USER is required}"
: "${SQL_PASSWORD:?SQL_PASSWORD is required}"
PORT=${DB_PORT:-5432}
SCHEMA=/etc/temporal/schema/postgresql/v12
ATTEMPTS=${SETUP_ATTEMPTS:-30}

sql_tool() {
  temporal-sql-tool --plugin postgres12 --ep "$POSTGRES_SEEDS" -p "$PORT" -u "$POSTGRES_USER" "$@"
}

# run_tool DESCRIPTION ARGS...: retry while PostgreSQL settles. For `create` only, an
# "already exists" answer is success.
run_tool() {
  what=$1
  shift
  n=1
  while :; do
    if out=$(sql_tool "$@" 2>&1); then
      printf '%s\n' "$out"
      return 0
    fi
    case "$*:$out" in
      *" create:"*"already exists"*) printf '%s: already there\n' "$what"; return 0 ;;
    esac
    if [ "$n" -ge "$ATTEMPTS" ]; then
      printf '%s\n%s failed after %s attempts\n' "$out" "$what" "$n" >&2
      return 1
    fi
    printf '%s failed (attempt %s/%s); retrying\n' "$what" "$n" "$ATTEMPTS"
    n=$((n + 1))
    sleep 2
  done
}

for db in temporal temporal_visibility; do
  case $db in
    temporal) dir=$SCHEMA/temporal/versioned ;;
    *) dir=$SCHEMA/visibility/versioned ;;
  esac
  run_tool "create database $db" --db "$db" create
  run_tool "set up schema of $db" --db "$db" setup-schema -v 0.0
  run_tool "update schema of $db" --db "$db" update-schema -d "$dir"
  printf 'database %s is at the current schema\n' "$db"
done
