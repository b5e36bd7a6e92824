"""``python -m bench``: generate (or reuse) the data set, run every benchmark, write the results.

See docs/decisions/bench.md and the README section "Benchmarks" for what is measured and how.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from . import harness
from .results import Run, write

RESULTS = harness.ROOT / "bench" / "results"
ALL = ("generation", "eligible", "one_agent", "bulk", "sweep", "matrix", "exam")


def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def parse_args(argv=None):
    p = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    p.add_argument("--db-url", default=harness.DEFAULT_DB_URL, help="a database named sg_bench*")
    p.add_argument("--scale", type=float, default=1.0, help="data set size (1 = full)")
    p.add_argument(
        "--reuse", action="store_true", help="keep the database and data set of an earlier run"
    )
    p.add_argument("--seconds", type=float, default=10, help="duration of each wrk measurement")
    p.add_argument("--repeat", type=int, default=5, help="repetitions of one-shot measurements")
    p.add_argument("--kinds", default="sync,gthread", help="gunicorn worker classes to compare")
    p.add_argument("--only", default="", help=f"comma-separated subset of {','.join(ALL)}")
    p.add_argument("--trainees", type=int, default=500, help="exam-hall simulated trainees")
    p.add_argument("--exam-seconds", type=float, default=60, help="exam-hall duration")
    p.add_argument("--exam-kinds", default="sync", help="gunicorn worker classes for the exam hall")
    p.add_argument(
        "--exam-workers",
        type=int,
        default=3,
        help=(
            "gunicorn workers for the exam hall: one per core plus one, because PostgreSQL "
            "shares the cores and a worker waiting on it leaves its core idle (gunicorn's own "
            "advice is 2 x cores + 1; docs/decisions/bench.md)"
        ),
    )
    p.add_argument(
        "--exam-bound", type=float, default=480, help="stop the exam hall after this many seconds"
    )
    p.add_argument("--out", type=Path, default=RESULTS, help="results directory")
    p.add_argument("--stem", default="latest", help="results file name stem")
    return p.parse_args(argv)


def generate(env: dict[str, str], args) -> tuple[float | None, dict, str]:
    log(f"recreating {args.db_url.rpartition('/')[2]} and migrating")
    harness.recreate_database(args.db_url)
    harness.manage("migrate", "-v0", env=env)
    log(f"generating the data set at scale {args.scale}")
    t0 = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-m", "bench.generate", "--scale", str(args.scale)],
        env=env,
        cwd=harness.ROOT,
        stdout=subprocess.PIPE,
        text=True,
        check=True,
    )
    wall = time.perf_counter() - t0
    out = proc.stdout
    m = re.search(r"generated in ([\d.]+) s", out)
    seconds = float(m.group(1)) if m else wall
    counts = {k: int(v.replace(",", "")) for k, v in re.findall(r"^\s+(\w+): ([\d,]+)$", out, re.M)}
    record = {"seconds": seconds, "wall_seconds": wall, "counts": counts, "scale": args.scale}
    (args.out / "raw").mkdir(parents=True, exist_ok=True)
    (args.out / "raw" / "generation.json").write_text(json.dumps(record, indent=2))
    log(f"generated in {seconds:.1f} s (command wall time {wall:.1f} s)")
    return seconds, counts, ""


def main(argv=None) -> int:
    args = parse_args(argv)
    only = {x.strip() for x in args.only.split(",") if x.strip()} or None
    (args.out / "raw").mkdir(parents=True, exist_ok=True)
    run = Run()
    run.machine["python_speed_ms"] = [harness.python_speed_ms()]
    with tempfile.TemporaryDirectory(prefix="bench-redis-") as tmp:
        # A private broker: tasks queued by the measured code land here and are never run, so
        # nothing runs eagerly inside a measured request and the shared Redis is left alone.
        redis = harness.start_redis(Path(tmp))
        try:
            env = harness.configure_environment(args.db_url, redis.url)
            run.settings = {
                "scale": args.scale,
                "wrk_seconds": args.seconds,
                "repeat": args.repeat,
                "gunicorn": args.kinds,
                "database": args.db_url.rpartition("/")[2],
            }
            _run(run, env, args, only)
        finally:
            redis.stop()
    run.machine["load_average_at_end"] = [round(x, 2) for x in os.getloadavg()]
    run.machine["python_speed_ms"].append(harness.python_speed_ms())
    paths = write(run, args.out, args.stem)
    log("wrote " + ", ".join(str(p) for p in paths.values()))
    print(paths["md"].read_text())
    return 0


def _run(run: Run, env: dict[str, str], args, only) -> None:
    from . import benchmarks as b

    gen_seconds, counts, reason = None, {}, ""
    if args.reuse:
        previous = args.out / "raw" / "generation.json"
        if previous.exists():
            data = json.loads(previous.read_text())
            gen_seconds, counts = data["seconds"], data["counts"]
            args.scale = data.get("scale", args.scale)
            reason = "reused the data set of an earlier run"
        else:
            reason = "reused a data set whose generation was not recorded"
    else:
        gen_seconds, counts, reason = generate(env, args)

    import django

    django.setup()
    from bench import dataset
    from tenants.models import Tenant
    from tenants.services import create_api_key

    tenant_id = dataset.tenant_id()
    if tenant_id is None:
        raise SystemExit("no bench tenant: run without --reuse to generate the data set")
    issued = create_api_key(
        tenant=Tenant.objects.get(pk=tenant_id), name=f"bench-{time.time_ns()}", created_by=None
    )
    ctx = b.Context(
        env=env,
        tenant_id=tenant_id,
        api_key=issued.raw_key,
        seconds=args.seconds,
        repeat=args.repeat,
        log=log,
        scale=args.scale,
    )
    result = b.generation_result(gen_seconds, counts, args.scale, reason)
    if gen_seconds is not None and reason:
        result.notes = (result.notes + "; " if result.notes else "") + reason
    run.add(result)

    def vacuum() -> None:
        tables = harness.vacuum_like_autovacuum()
        if tables:
            log("vacuumed as autovacuum would have: " + ", ".join(tables))
            run.machine.setdefault("vacuumed", []).append(tables)

    kinds = [k.strip() for k in args.kinds.split(",") if k.strip()]
    vacuum()
    if not only or only & {"eligible", "one_agent", "bulk"}:
        for r in b.run_http_benchmarks(ctx, kinds, only):
            run.add(r)
    if not only or "matrix" in only:
        log("skills matrix")
        for r in b._guard(lambda: b.bench_matrix(ctx), "matrix"):
            run.add(r)
    if not only or "sweep" in only:
        vacuum()
        log("expiry sweep")
        for r in b._guard(lambda: b.bench_sweep(ctx), "sweep"):
            run.add(r)
    if not only or "exam" in only:
        from . import exam

        vacuum()
        for kind in [k.strip() for k in args.exam_kinds.split(",") if k.strip()]:
            log(
                f"exam hall ({kind} x{args.exam_workers}): {args.trainees} trainees for about "
                f"{args.exam_seconds:.0f} s"
            )
            for r in b._guard(
                lambda kind=kind: exam.bench_exam_hall(
                    ctx,
                    trainees=args.trainees,
                    seconds=args.exam_seconds,
                    kind=kind,
                    workers=args.exam_workers,
                    bound=args.exam_bound,
                ),
                f"exam_{kind}",
            ):
                run.add(r)


if __name__ == "__main__":
    sys.exit(main())
