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


def multipart(
    fields: list[tuple[str, str]], files: list[tuple[str, bytes, bytes]] = ()
) -> tuple[bytes, str]:
    """A multipart/form-data body as a careless or hostile client sends it: field values and
    file names as raw bytes (lone surrogates as their would-be UTF-8, a NUL as a NUL, path
    separators kept), which Django's test client would clean or refuse to encode. ``files`` are
    (field name, raw file name, content). Returns the body and its content type."""
    boundary = b"skillgate-fuzz-boundary"
    parts = []
    for name, value in fields:
        parts.append(
            b'Content-Disposition: form-data; name="%s"\r\n\r\n%s'
            % (name.encode(), value.encode("utf-8", "surrogatepass"))
        )
    for name, filename, content in files:
        quoted = filename.replace(b"\\", b"\\\\").replace(b'"', b'\\"')
        parts.append(
            b'Content-Disposition: form-data; name="%s"; filename="%s"\r\n'
            b"Content-Type: application/octet-stream\r\n\r\n%s" % (name.encode(), quoted, content)
        )
    body = b"".join(b"--%s\r\n%s\r\n" % (boundary, part) for part in parts)
    body += b"--%s--\r\n" % boundary
    return body, f"multipart/form-data; boundary={boundary.decode()}"
