#!/bin/sh
# Prepare the Temporal namespace the workers use: create it when missing, then register the
# search attributes the dubbing workflow sets. Safe to run again: what exists is left alone.
# Runs in temporalio/admin-tools (the `temporal` CLI); docker-compose.yml runs it as temporal-setup.
set -eu

ADDRESS=${TEMPORAL_ADDRESS:-temporal:7233}
NAMESPACE=${TEMPORAL_NAMESPACE:-default}
RETENTION=${TEMPORAL_NAMESPACE_RETENTION:-168h}
ATTEMPTS=${SETUP_ATTEMPTS:-60}
PAUSE=${SETUP_PAUSE_SECONDS:-2}

# NAME=TYPE, one per line.
ATTRIBUTES="
DubStage=Keyword
DubSourceLang=Keyword
DubTargetLangs=KeywordList
DubMediaSeconds=Double
DubInputName=Keyword
DubTenant=Keyword
"

log() { printf '%s\n' "$*"; }

# retry DESCRIPTION COMMAND...: run COMMAND until it succeeds, at most ATTEMPTS times.
retry() {
  what=$1
  shift
  n=1
  until "$@"; do
    if [ "$n" -ge "$ATTEMPTS" ]; then
      log "giving up: $what (after $n attempts)" >&2
      return 1
    fi
    log "waiting: $what (attempt $n/$ATTEMPTS)"
    n=$((n + 1))
    sleep "$PAUSE"
  done
}

server_healthy() {
  temporal operator cluster health --address "$ADDRESS" >/dev/null 2>&1
}

namespace_ready() {
  if temporal operator namespace describe --namespace "$NAMESPACE" --address "$ADDRESS" \
      >/dev/null 2>&1; then
    return 0
  fi
  if out=$(temporal operator namespace create --namespace "$NAMESPACE" \
      --retention "$RETENTION" --address "$ADDRESS" 2>&1); then
    log "created namespace $NAMESPACE (retention $RETENTION)"
    return 0
  fi
  case $out in
    *"already exists"* | *AlreadyExists*) return 0 ;;
  esac
  log "$out" >&2
  return 1
}

# attribute_ready NAME TYPE: succeed when NAME is registered as TYPE (registering it when
# missing). NAME registered with another type is fatal: retrying cannot fix it.
attribute_ready() {
  listing=$(temporal operator search-attribute list --namespace "$NAMESPACE" \
    --address "$ADDRESS" 2>/dev/null) || listing=""
  if printf '%s\n' "$listing" | grep -Eq "^[[:space:]]*$1[[:space:]]+$2[[:space:]]*\$"; then
    return 0
  fi
  if printf '%s\n' "$listing" | grep -Eq "^[[:space:]]*$1[[:space:]]"; then
    log "search attribute $1 exists with another type than $2; remove it or rename ours" >&2
    exit 1
  fi
  if out=$(temporal operator search-attribute create --namespace "$NAMESPACE" \
      --address "$ADDRESS" --name "$1" --type "$2" 2>&1); then
    log "registered search attribute $1 ($2)"
    return 0
  fi
  case $out in
    *"different type"*) log "$out" >&2; exit 1 ;;
    *"already exists"* | *AlreadyExists*) return 0 ;;
  esac
  log "$out" >&2
  return 1
}

retry "Temporal at $ADDRESS to answer" server_healthy
log "Temporal at $ADDRESS is serving"
retry "namespace $NAMESPACE" namespace_ready

for entry in $ATTRIBUTES; do
  name=${entry%%=*}
  type=${entry#*=}
  retry "search attribute $name" attribute_ready "$name" "$type"
done

log "namespace $NAMESPACE is ready:"
temporal operator search-attribute list --namespace "$NAMESPACE" --address "$ADDRESS"
