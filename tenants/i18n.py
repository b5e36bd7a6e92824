"""Compile the gettext catalogues with polib, so neither tests nor the demo need GNU gettext."""

from pathlib import Path

import polib
from django.conf import settings


def compile_catalogues() -> list[Path]:
    written = []
    for locale_dir in settings.LOCALE_PATHS:
        for po_path in Path(locale_dir).glob("*/LC_MESSAGES/*.po"):
            mo_path = po_path.with_suffix(".mo")
            if mo_path.exists() and mo_path.stat().st_mtime >= po_path.stat().st_mtime:
                continue
            polib.pofile(str(po_path)).save_as_mofile(str(mo_path))
            written.append(mo_path)
    return written
