#!/usr/bin/env bash
# Dub the bundled sample from English to Spanish on the running embedded stack.
set -euo pipefail
cd "$(dirname "$0")/.."
export DUB_STORE="${DUB_STORE:-$PWD/.state/store}"
exec .venv/bin/python -m starter translate examples/sample.mp4 --from en --to es --out out
