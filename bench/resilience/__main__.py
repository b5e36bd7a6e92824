"""``python -m bench.resilience [name ...]``: run fault scenarios, each in its own process, and
write bench/results/resilience.md. Names: two-beats, webhook-kill, redis-pause, redis-restart,
pg-crash (default: all). Every scenario is bounded in time and uses private services."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from datetime import UTC, datetime

from bench.harness import PYTHON, ROOT

from .common import RESULTS, log

NAMES = ["two-beats", "webhook-kill", "redis-pause", "redis-restart", "pg-crash"]
HEADER = """# Resilience runs

Each run is a script (`python -m bench.resilience <name>`) bounded in time, on loopback, against
its own Redis (and, for the database crash, its own PostgreSQL cluster) started in a temp dir:
the shared PostgreSQL and Redis are never stopped or paused.
"""


def main(argv: list[str]) -> int:
    if argv[:1] == ["--one"]:
        from .scenarios import SCENARIOS

        result = SCENARIOS[argv[1]]()
        print("RESULT " + json.dumps(result, default=str))
        return 0
    names = argv or NAMES
    sections = []
    for name in names:
        log(f"scenario {name}")
        t0 = time.monotonic()
        proc = subprocess.run(
            [PYTHON, "-m", "bench.resilience", "--one", name],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=600,
        )
        took = time.monotonic() - t0
        line = next((x for x in proc.stdout.splitlines() if x.startswith("RESULT ")), None)
        if proc.returncode != 0 or line is None:
            tail = (proc.stderr or proc.stdout).strip().splitlines()[-6:]
            sections.append(
                f"### {name}\n- Not completed (exit {proc.returncode}): "
                + " / ".join(t.strip() for t in tail)
            )
            log(f"{name} did not complete")
            continue
        result = json.loads(line[len("RESULT ") :])
        sections.append("\n".join(result["lines"]) + f"\n- Run time: {took:.0f} s.")
        log(f"{name}: {'passed' if result['ok'] else 'FAILED'} in {took:.0f} s")
        (RESULTS / "raw").mkdir(parents=True, exist_ok=True)
        (RESULTS / "raw" / f"resilience-{name}.json").write_text(json.dumps(result, indent=2))
    _merge(sections, names)
    return 0


def _merge(sections: list[str], names: list[str]) -> None:
    """Keep the sections of scenarios not re-run this time."""
    path = RESULTS / "resilience.md"
    old = path.read_text() if path.exists() else ""
    kept = {}
    for block in old.split("\n### ")[1:]:
        title = block.splitlines()[0]
        kept[title] = "### " + block.strip()
    for s in sections:
        kept[s.splitlines()[0][4:]] = s
    stamp = datetime.now(UTC).isoformat(timespec="seconds")
    body = (
        HEADER + f"\nLast run {stamp} ({', '.join(names)}); sections of scenarios not in that run "
        "are kept from their own latest run.\n\n" + "\n\n".join(kept.values())
    )
    path.write_text(body + "\n")


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
