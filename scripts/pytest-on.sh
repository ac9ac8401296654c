#!/usr/bin/env bash
# Runs the suite against one database. pytest's exit code 5 ("no tests collected") is a failure here.
set -uo pipefail
label="$1"; shift
echo "=== pytest on ${label} (DATABASE_URL=${DATABASE_URL}) ==="
.venv/bin/python -m pytest "$@"
code=$?
if [ "$code" -eq 5 ]; then
  echo "pytest collected no tests on ${label}: failing" >&2
  exit 1
fi
exit "$code"
