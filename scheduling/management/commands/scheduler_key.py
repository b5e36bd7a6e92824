"""Issue (or rotate) a scheduler API key of a tenant and print its secret once."""

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from tenants.models import ApiKey, Tenant
from tenants.services import create_api_key, revoke_api_key


class Command(BaseCommand):
    help = "Issue an API key for a workforce scheduler; --rotate revokes the active key first."

    def add_arguments(self, parser):
        parser.add_argument("--tenant", required=True, help="Tenant slug.")
        parser.add_argument("--name", default="scheduler")
        parser.add_argument("--rotate", action="store_true")

    @transaction.atomic
    def handle(self, *args, tenant, name, rotate, **options):
        tenant_obj = Tenant.objects.filter(slug=tenant).first()
        if tenant_obj is None:
            raise CommandError(f"No tenant with slug {tenant!r}.")
        active = ApiKey.objects.for_tenant(tenant_obj).filter(name=name, revoked_at__isnull=True)
        if active.exists() and not rotate:
            raise CommandError(f"An active key named {name!r} exists; pass --rotate to replace it.")
        for key in active:
            revoke_api_key(api_key=key)
        issued = create_api_key(tenant=tenant_obj, name=name, created_by=None)
        self.stdout.write(issued.raw_key)
