"""Run the expiry sweep once in a fresh process and print one JSON line: time, statements, peak
memory (VmHWM: the peak resident set of this process's own address space). The parent makes
exactly 1% of the bench tenant's certifications due first, so every run sweeps the same amount."""

from __future__ import annotations

import json
import time

import django


def rss_mb(field: str = "VmRSS") -> float:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(f"{field}:"):
                return int(line.split()[1]) / 1024
    return 0.0


def main() -> None:
    django.setup()
    from django.db import connection, transaction

    from bench import dataset
    from certification.services import expire_due_certifications

    tenant = dataset.tenant_id()
    with connection.cursor() as cur:
        cur.execute(
            "SELECT count(*) FROM certification_certification WHERE tenant_id = %s", [tenant]
        )
        total = cur.fetchone()[0]
    with transaction.atomic(), connection.cursor() as cur:
        dataset.ensure_due(cur, tenant, round(total * 0.01))
    statements = []
    db_seconds = [0.0]

    def count(execute, sql, params, many, context):
        statements.append(sql.split(None, 1)[0].upper())
        t = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            db_seconds[0] += time.perf_counter() - t

    before = rss_mb()
    commit_hooks = {}
    original = connection.run_and_clear_commit_hooks

    def timed_hooks():
        t = time.perf_counter()
        original()
        commit_hooks["s"] = commit_hooks.get("s", 0.0) + time.perf_counter() - t

    connection.run_and_clear_commit_hooks = timed_hooks
    # The commit runs the deferred foreign-key checks of every row the sweep wrote.
    commit_seconds = [0.0]
    original_commit = connection.commit

    def timed_commit():
        t = time.perf_counter()
        original_commit()
        commit_seconds[0] += time.perf_counter() - t

    connection.commit = timed_commit
    t0 = time.perf_counter()
    with connection.execute_wrapper(count):
        expired = expire_due_certifications()
    seconds = time.perf_counter() - t0
    connection.run_and_clear_commit_hooks = original
    connection.commit = original_commit
    # Not ru_maxrss: Linux carries it across exec from the forked parent, so a child of a big
    # benchmark process reported the parent's size (151 MB in a full run, 116 MB run alone).
    peak = rss_mb("VmHWM")
    kinds: dict[str, int] = {}
    for kind in statements:
        kinds[kind] = kinds.get(kind, 0) + 1
    print(
        json.dumps(
            {
                "seconds": round(seconds, 3),
                "expired": expired,
                "certifications": total,
                "statements": len(statements),
                "statement_kinds": kinds,
                "rss_before_mb": round(before, 1),
                "maxrss_mb": round(peak, 1),
                "after_commit_s": round(commit_hooks.get("s", 0.0), 3),
                "statements_s": round(db_seconds[0], 3),
                "commit_s": round(commit_seconds[0], 3),
            }
        )
    )


if __name__ == "__main__":
    main()
