"""Generate the benchmark data set (PostgreSQL only): see bench/dataset.py for its shape."""

from django.core.management.base import BaseCommand, CommandError

from bench.dataset import Shape, generate


class Command(BaseCommand):
    help = (
        "Create the 'bench' tenant: 20,000 agents, 200 skill groups, 40 curricula, 1,000,000 "
        "certifications in all states and 100,000 shift assignments (set-based, PostgreSQL)."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--scale",
            type=float,
            default=1.0,
            help="Fraction of the full size (agents, certifications and shifts scale together; "
            "0.005 is a smoke-test set).",
        )

    def handle(self, *args, scale: float, **options):
        if scale <= 0:
            raise CommandError("--scale must be positive")
        try:
            report = generate(Shape.scaled(scale), stream=self.stderr)
        except RuntimeError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(f"bench data set generated in {report.seconds:.1f} s")
        for name, count in report.counts.items():
            self.stdout.write(f"  {name}: {count:,}")
        for name, seconds in report.steps.items():
            self.stdout.write(f"  step {name}: {seconds:.1f} s")
