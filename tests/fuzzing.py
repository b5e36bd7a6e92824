"""How the fuzz tests run: bounded and derandomized by default (CI), longer and randomly seeded
with ``SKILLGATE_FUZZ=nightly``. The nightly seed is printed in pytest's header and in every
failure; ``SKILLGATE_FUZZ_SEED=<n>`` replays one."""

from __future__ import annotations

import os
import random

from hypothesis import HealthCheck, Phase, seed, settings

MODE = os.environ.get("SKILLGATE_FUZZ", "").strip().lower() or "ci"
NIGHTLY = MODE == "nightly"
SEED: int | None = (
    int(os.environ.get("SKILLGATE_FUZZ_SEED") or random.SystemRandom().randrange(2**32))
    if NIGHTLY
    else None
)


def describe() -> str:
    if NIGHTLY:
        return f"fuzz: nightly, seed {SEED} (replay with SKILLGATE_FUZZ_SEED={SEED})"
    return "fuzz: ci (derandomized; SKILLGATE_FUZZ=nightly for the long run)"


def examples(ci: int, nightly: int) -> int:
    return nightly if NIGHTLY else ci


def hypothesis_run(test, *, ci: int, nightly: int):
    """``test`` (a ``@given`` function) with the mode's settings: a fixed number of derandomized
    examples in CI, more and seeded from SEED at night. No example database: a run depends on
    nothing but the code and the seed."""
    configured = settings(
        max_examples=examples(ci, nightly),
        derandomize=not NIGHTLY,
        database=None,
        deadline=None,
        print_blob=False,
        # No shrinking in CI: each step of it is a full request, and the failing example is
        # already printed whole.
        phases=list(Phase) if NIGHTLY else [Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )(test)
    return seed(SEED)(configured) if NIGHTLY else configured
