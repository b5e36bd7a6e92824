"""Verify the certification audit trail: each tenant's event chain (sequence numbers, keyed
hashes), its checkpoints in the database and in exported files, and every certification's status
and validity against its events. Exit status 0: intact; 1: a problem (each named, the first of
its kind per tenant); 2: a checkpoint file that cannot be read."""

from django.core.management.base import BaseCommand, CommandError

from certification.audit import CheckpointFileError, load_checkpoint_file, verify_tenant
from tenants.models import Tenant


class Command(BaseCommand):
    help = (
        "Verify every tenant's (or one tenant's) certification event chain against its keyed "
        "hashes and checkpoints, and the certifications against their events."
    )

    def add_arguments(self, parser):
        parser.add_argument("--tenant", help="slug of the tenant to verify (default: all)")
        parser.add_argument(
            "--checkpoints",
            action="append",
            default=[],
            metavar="FILE",
            help="a file written by export_certification_checkpoints (repeatable)",
        )

    def handle(self, *args, tenant=None, checkpoints=(), **options):
        external = []
        for path in checkpoints:
            try:
                external.extend(load_checkpoint_file(path))
            except CheckpointFileError as exc:
                raise CommandError(str(exc), returncode=2) from exc
        tenants = Tenant.objects.order_by("pk")
        if tenant:
            tenants = tenants.filter(slug=tenant)
            if not tenants.exists():
                raise CommandError(f"no tenant with slug {tenant!r}", returncode=2)
        broken: list[tuple[str, str]] = []
        known = set()
        for t in tenants:
            known.add(t.pk)
            report = verify_tenant(tenant_id=t.pk, slug=t.slug, external=external)
            for problem in report.problems:
                broken.append((t.slug, problem))
                self.stdout.write(f"{t.slug}: BROKEN: {problem}")
            if not report.problems:
                self.stdout.write(self._summary(report))
        if not tenant:
            for checkpoint in external:
                if checkpoint.tenant_id not in known:
                    problem = f"tenant id={checkpoint.tenant_id} of {checkpoint.label} is missing"
                    broken.append((f"tenant id={checkpoint.tenant_id}", problem))
                    self.stdout.write(f"BROKEN: {problem}")
                    known.add(checkpoint.tenant_id)
        if broken:
            names = ", ".join(dict.fromkeys(slug for slug, _problem in broken))
            raise CommandError(f"audit trail broken for: {names} (first: {broken[0][1]})")

    @staticmethod
    def _summary(report) -> str:
        checkpoints = f"{report.checkpoints} checkpoints"
        if report.external:
            checkpoints += f" and {report.external} from files"
        certifications = f"{report.certifications} certifications match their events"
        if report.validity_unrecorded:
            certifications += (
                f" ({report.validity_unrecorded} by status only: their validity predates the "
                "keyed chain)"
            )
        return (
            f"{report.slug}: {report.events} events, chain intact; {checkpoints} match; "
            f"{certifications}"
        )
