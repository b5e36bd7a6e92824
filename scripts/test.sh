#!/usr/bin/env bash
# Set up and run the whole test suite. Without DATABASE_URL it runs on SQLite and skips (with the
# reason) what needs PostgreSQL, a broker or a browser; with CI=true such skips are failures.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
exec .venv/bin/pytest "$@"
