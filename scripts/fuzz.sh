#!/usr/bin/env bash
# The nightly API fuzz: tests/skillgate/test_api_fuzz.py with SKILLGATE_FUZZ=nightly (twenty
# times the CI run's examples and scenarios, longer scenarios, a random seed printed per persona).
# Replay a failure with SKILLGATE_FUZZ_SEED=<printed seed> bash scripts/fuzz.sh. Database and
# broker as for scripts/test.sh; extra arguments go to pytest (e.g. -k api_key).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export SKILLGATE_FUZZ=nightly
exec .venv/bin/pytest tests/skillgate/test_api_fuzz.py -p no:cacheprovider -s -q "$@"
