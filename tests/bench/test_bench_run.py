"""The whole benchmark command end to end on a tiny data set, so that CI catches a broken
benchmark. No timing is asserted: at this size the ratios mean nothing, only that every
benchmark ran, and the exam hall's correctness checks, which hold at any size."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.load_tools

ROOT = Path(__file__).resolve().parents[2]
EXPECTED = {
    "generation",
    "matrix",
    "sweep",
    "bulk_valid",
    "bulk_invalid",
    "exam_sync",
    "rss_sync",
    *(
        f"{name}_{kind}"
        for name in ("eligible", "one_agent", "short_list")
        for kind in ("sync", "gthread")
    ),
}


def test_every_benchmark_runs_at_a_tiny_scale_and_the_exam_hall_loses_nothing(tmp_path):
    import psycopg

    from tests.database import database_url

    # On the server of the test database, embedded or not; a name of this run's own, as several
    # checkouts may share one server.
    name = f"sg_bench_smoke_{os.getpid()}"
    db_url = database_url(name)
    base = db_url.rpartition("/")[0]
    command = [sys.executable, "-m", "bench", "--db-url", db_url, "--scale", "0.003"]
    command += ["--seconds", "1", "--repeat", "1", "--trainees", "5", "--exam-seconds", "5"]
    command += ["--out", str(tmp_path), "--stem", "smoke"]
    try:
        proc = subprocess.run(
            command, cwd=ROOT, capture_output=True, text=True, timeout=600, check=False
        )
    finally:
        with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    assert proc.returncode == 0, proc.stderr[-2000:]
    run = json.loads((tmp_path / "smoke.json").read_text())
    results = {r["key"]: r for r in run["results"]}
    # The machine's speed is taken at both ends of the run, to compare runs across machines.
    assert len(run["machine"]["python_speed_ms"]) == 2
    assert all(ms > 0 for ms in run["machine"]["python_speed_ms"])
    assert set(results) == EXPECTED
    broken = {k: r["notes"] for k, r in results.items() if r["status"] == "not measured"}
    assert broken == {}
    assert (tmp_path / "smoke.md").exists() and (tmp_path / "smoke.png").exists()
    checks = results["exam_sync"]["figures"]["checks"]
    assert checks["attempts"] == 5 and checks["answers_acknowledged"] > 0
    assert (checks["lost_answers"], checks["double_grades"], checks["ungraded_attempts"]) == (
        0,
        0,
        0,
    )
    # The cost of each request served alone is measured, and the load's demand derived from it.
    figures = results["exam_sync"]["figures"]
    assert set(figures["served_alone"]) == {
        "quiz page",
        "start",
        "attempt page",
        "autosave",
        "submit",
    }
    assert figures["demand_worker_seconds_per_second"]["opening"] > 0
    # The refusal path refuses and writes nothing; the valid path writes.
    assert set(results["bulk_invalid"]["figures"]["statuses"]) == {"422"}
    assert set(results["bulk_valid"]["figures"]["statuses"]) == {"201"}
    assert all(run["expired"] > 0 for run in results["sweep"]["figures"]["runs"])
    # The sweep's time is split into statements, the commit and the after-commit hooks.
    for run in results["sweep"]["figures"]["runs"]:
        parts = run["statements_s"] + run["commit_s"] + run["after_commit_s"]
        assert run["statements_s"] > 0 and parts <= run["seconds"]
