"""Smoke test of the benchmark code paths on a tiny data set: it catches a broken benchmark in CI.
No timings are asserted; the real run is ``python -m bench`` (see the README)."""

from __future__ import annotations

import json

import pytest
from django.db import connection

from bench import dataset
from bench.harness import parse_wrk, percentile, summarise
from bench.results import MET, MISSED, NOT_MEASURED, Result, Run, markdown, write

WRK_REPORT = """Running 2s test @ http://127.0.0.1:8000/bench/json/
  1 threads and 2 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency     1.20ms  300.00us   9.10ms   90.00%
  Latency Distribution
     50%  950.00us
     75%    1.30ms
     90%    1.80ms
     99%    2.50s
  3400 requests in 2.00s, 600.00KB read
  Socket errors: connect 0, read 1, write 0, timeout 2
  Non-2xx or 3xx responses: 5
Requests/sec:   1700.12
Transfer/sec:    300.00KB
"""


def test_wrk_report_is_read_with_its_units():
    stats = parse_wrk(WRK_REPORT)
    assert stats.requests == 3400
    assert stats.rps == pytest.approx(1700.12)
    assert stats.p50_ms == pytest.approx(0.95)
    assert stats.p99_ms == pytest.approx(2500.0)
    assert stats.errors == 3
    assert stats.non_2xx == 5


def test_percentiles_of_client_latencies():
    values = [float(v) for v in range(1, 101)]
    assert percentile(values, 50) == pytest.approx(50.0, abs=1)
    assert percentile(values, 99) == pytest.approx(99.0, abs=1)
    assert summarise(values)["count"] == 100


def test_results_are_written_as_json_markdown_and_chart(tmp_path):
    run = Run()
    run.add(
        Result(
            key="a",
            title="fast thing",
            target="at most 10 ms",
            status=MET,
            measured="5 ms",
            chart={"unit": "ms", "measured": 5.0, "floor": 2.0, "target": 10.0},
        )
    )
    run.add(
        Result(
            key="b",
            title="slow | thing",
            target="at most 1 s",
            status=MISSED,
            measured="2 s",
            notes="reason",
            chart={"unit": "s", "measured": 2.0, "target": 1.0},
        )
    )
    run.add(Result.not_measured("c", "missing thing", "x", "has not landed"))
    run.machine["python_speed_ms"] = [101.5, 120.3]
    paths = write(run, tmp_path, "smoke")
    data = json.loads(paths["json"].read_text())
    assert [r["status"] for r in data["results"]] == [MET, MISSED, NOT_MEASURED]
    table = markdown(run)
    assert "| slow \\| thing |" in table
    assert "**missed**" in table
    assert "has not landed" in table
    assert "took 101.5 ms at the start and 120.3 ms at the end" in table
    if "png" in paths:  # matplotlib is optional (dev extra)
        assert paths["png"].read_bytes().startswith(b"\x89PNG")


def test_tiny_data_set_is_consistent_and_feeds_the_benchmarks(db):
    from bench import benchmarks
    from bench.floor import eligible_json

    shape = dataset.Shape(agents=60)
    report = dataset.generate(shape, stream=open("/dev/null", "w"))  # noqa: SIM115
    counts = report.counts
    assert counts["agents"] == 60
    assert counts["certifications"] == 60 * 50
    assert counts["assignments"] == 60 * 5
    assert counts["certifications_due"] == 30
    for state in ("active", "expired", "pending", "rejected", "revoked"):
        assert counts[f"certifications_{state}"] > 0
    tenant = dataset.tenant_id()
    with connection.cursor() as cur:
        # every shift lies inside an active certification of its agent and skill group
        cur.execute(
            """
            SELECT count(*) FROM scheduling_shiftassignment s
             WHERE s.tenant_id = %s AND NOT EXISTS (
                SELECT 1 FROM certification_certification c
                 WHERE c.id = s.certification_id AND c.status = 'active'
                   AND c.valid_from <= s.starts_at AND c.valid_until >= s.ends_at)
            """,
            [tenant],
        )
        assert cur.fetchone()[0] == 0
        # a repeated call keeps exactly the wanted number due
        assert dataset.ensure_due(cur, tenant, 40) == 40

    ctx = benchmarks.Context(env={}, tenant_id=tenant, api_key="unused", repeat=1)
    start, end = ctx.window()
    connection.ensure_connection()
    floor = json.loads(
        eligible_json(
            connection.connection, tenant_id=tenant, code=dataset.HOT_GROUP, start=start, end=end
        )
    )
    assert floor["count"] == 15  # agents 0, 4, 8, ... hold the hot group

    items = benchmarks.bulk_items(ctx, 30)
    assert len(items) == 30
    assert len({(i["employee_id"], i["starts_at"]) for i in items}) == 30
    invalid = benchmarks.bulk_items(ctx, 30, invalid_share=0.1)
    assert sum(i["employee_id"].startswith("NOBODY") for i in invalid) == 3
    benchmarks.raw_insert(ctx, items)
    assert benchmarks.delete_bulk_rows(tenant) == 30
