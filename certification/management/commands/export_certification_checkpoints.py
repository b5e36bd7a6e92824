"""Checkpoint every tenant's certification event chain and write each tenant's newest
checkpoint to a JSON file, to be kept apart from the database (another machine, write-once
storage): `verify_certification_events --checkpoints FILE` then detects events cut from a
chain, or a chain emptied, after the export."""

import json
import os
import tempfile
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from certification.audit import export_document
from certification.selectors import latest_checkpoints
from certification.services import checkpoint_payload, write_checkpoints
from tenants.models import Tenant


class Command(BaseCommand):
    help = (
        "Checkpoint the certification event chains and export each tenant's newest checkpoint "
        "to a JSON file kept outside the database."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--output", required=True, metavar="FILE", help="file to write ('-': standard output)"
        )
        parser.add_argument("--tenant", help="slug of the tenant to export (default: all)")

    def handle(self, *args, output, tenant=None, **options):
        tenant_ids = None
        if tenant:
            tenant_ids = list(Tenant.objects.filter(slug=tenant).values_list("pk", flat=True))
            if not tenant_ids:
                raise CommandError(f"no tenant with slug {tenant!r}", returncode=2)
        written = write_checkpoints(tenant_ids=tenant_ids)
        checkpoints = latest_checkpoints(tenant_ids)
        document = export_document(
            ((c.tenant_id, c.tenant.slug, checkpoint_payload(c)) for c in checkpoints),
            exported_at=timezone.now(),
        )
        text = json.dumps(document, indent=2, ensure_ascii=False) + "\n"
        if output == "-":
            self.stdout.write(text, ending="")
            return
        try:
            _write_atomically(Path(output), text)
        except OSError as exc:
            raise CommandError(f"{output}: cannot be written ({exc.strerror or exc})") from exc
        self.stdout.write(
            f"{len(checkpoints)} checkpoints ({len(written)} new) written to {output}"
        )


def _write_atomically(path: Path, text: str) -> None:
    """The whole file or the old one: written beside it, then renamed over it."""
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as file:
            file.write(text)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
