"""Grant the runtime database role its privileges (core/db/roles.py); run as the tables' owner."""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from core.db.roles import append_only_tables, grant_runtime_privileges


class Command(BaseCommand):
    help = (
        "Grant the role the web processes and workers use exactly the runtime privileges "
        "(DML, read and insert only on append-only tables, no TRUNCATE or DDL). "
        "migrate does this itself when DATABASE_RUNTIME_ROLE is set."
    )

    def add_arguments(self, parser):
        parser.add_argument("--role", default="", help="default: DATABASE_RUNTIME_ROLE")

    def handle(self, *args, role="", **options):
        role = role or settings.DATABASE_RUNTIME_ROLE
        if not role:
            raise CommandError("name the role with --role or DATABASE_RUNTIME_ROLE")
        grant_runtime_privileges(role=role)
        self.stdout.write(
            f"{role}: runtime privileges granted; insert-only: {', '.join(append_only_tables())}"
        )
