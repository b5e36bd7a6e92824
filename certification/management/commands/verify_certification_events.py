"""Verify the hash chain of certification events; names the first row that does not match."""

from django.core.management.base import BaseCommand, CommandError

from certification.chain import verify_chain
from tenants.models import Tenant


class Command(BaseCommand):
    help = "Verify every tenant's (or one tenant's) certification event hash chain."

    def add_arguments(self, parser):
        parser.add_argument("--tenant", help="slug of the tenant to verify (default: all)")

    def handle(self, *args, tenant=None, **options):
        tenants = Tenant.objects.order_by("pk")
        if tenant:
            tenants = tenants.filter(slug=tenant)
            if not tenants.exists():
                raise CommandError(f"no tenant with slug {tenant!r}")
        broken = []
        for t in tenants:
            checked, problem = verify_chain(tenant_id=t.pk)
            if problem is None:
                self.stdout.write(f"{t.slug}: {checked} events, chain intact")
            else:
                broken.append(t.slug)
                self.stdout.write(
                    f"{t.slug}: BROKEN at certification event id={problem.event_id} "
                    f"({problem.problem}); {checked - 1} events before it match"
                )
        if broken:
            raise CommandError(f"event chain broken for: {', '.join(broken)}")
