"""Generate the benchmark data set (see bench/dataset.py for its shape):

    python -m bench.generate --scale 0.005     # with DATABASE_URL and DJANGO_SETTINGS_MODULE set

Run by ``python -m bench`` and the resilience runs; lives here, not in a domain app, because the
apps never import the benchmarks."""

from __future__ import annotations

import argparse
import os
import sys


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--scale",
        type=float,
        default=1.0,
        help="Fraction of the full size (agents, certifications and shifts scale together; "
        "0.005 is a smoke-test set).",
    )
    args = parser.parse_args(argv)
    if args.scale <= 0:
        parser.error("--scale must be positive")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")
    import django

    django.setup()
    from bench.dataset import Shape, generate

    try:
        report = generate(Shape.scaled(args.scale), stream=sys.stderr)
    except RuntimeError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(f"bench data set generated in {report.seconds:.1f} s")
    for name, count in report.counts.items():
        print(f"  {name}: {count:,}")
    for name, seconds in report.steps.items():
        print(f"  step {name}: {seconds:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
