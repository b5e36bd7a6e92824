"""Both languages stay complete: every msgid of the code is in the zh_Hans catalogue with a
translation that keeps its placeholders."""

import re
import subprocess
import sys
from pathlib import Path

import polib
import pytest

ROOT = Path(__file__).resolve().parent.parent
CATALOGUE_DIR = ROOT / "locale" / "zh_Hans" / "LC_MESSAGES"
PLACEHOLDER = re.compile(r"%\([a-z_]+\)[sdf]|%[sd]|\{\{ *\w+ *\}\}")


def entries():
    for path in sorted(CATALOGUE_DIR.glob("*.po")):
        for entry in polib.pofile(str(path)):
            if not entry.obsolete:
                yield path.name, entry


def test_every_string_has_a_chinese_translation():
    missing = [f"{name}: {e.msgid!r}" for name, e in entries() if not e.translated() or e.fuzzy]
    assert not missing, "Untranslated strings:\n" + "\n".join(missing)


def test_translations_keep_their_placeholders():
    broken = []
    for name, entry in entries():
        translations = [entry.msgstr] if not entry.msgid_plural else entry.msgstr_plural.values()
        for text in translations:
            if text and sorted(PLACEHOLDER.findall(entry.msgid)) != sorted(
                PLACEHOLDER.findall(text)
            ):
                broken.append(f"{name}: {entry.msgid!r} -> {text!r}")
    assert not broken, "Placeholders differ:\n" + "\n".join(broken)


@pytest.mark.skipif(sys.platform == "win32", reason="uses GNU gettext")
def test_catalogue_is_up_to_date_with_the_code(tmp_path):
    """Regenerate the msgids from the code and compare: a string added without running
    scripts/i18n.py shows up here."""
    import shutil

    if shutil.which("xgettext") is None:
        pytest.skip("needs GNU gettext (xgettext) to extract strings")
    before = {(n, e.msgid, e.msgctxt) for n, e in entries()}
    work = tmp_path / "tree"
    shutil.copytree(
        ROOT,
        work,
        ignore=shutil.ignore_patterns(".venv", ".git", ".pgdata", "artifacts", "*.mo"),
    )
    subprocess.run(
        [sys.executable, "scripts/i18n.py", "update"], cwd=work, check=True, capture_output=True
    )
    after = set()
    for path in sorted((work / "locale" / "zh_Hans" / "LC_MESSAGES").glob("*.po")):
        after |= {
            (path.name, e.msgid, e.msgctxt) for e in polib.pofile(str(path)) if not e.obsolete
        }
    assert after - before == set(), f"Strings missing from the catalogue: {sorted(after - before)}"
    assert before - after == set(), f"Stale strings in the catalogue: {sorted(before - after)}"
