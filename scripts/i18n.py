"""Keep the zh_Hans catalogue in step with the code.

    python scripts/i18n.py update                 # makemessages (django + djangojs)
    python scripts/i18n.py fill strings.json      # update, then fill msgstr from {msgid: msgstr}
    python scripts/i18n.py missing                # list msgids without a translation

Runs under a file lock so that several people regenerating the catalogue at once do not clobber
each other's work.
"""

import fcntl
import json
import os
import subprocess
import sys
from pathlib import Path

import polib

ROOT = Path(__file__).resolve().parent.parent
LOCALE = ROOT / "locale" / "zh_Hans" / "LC_MESSAGES"
CATALOGUES = [LOCALE / "django.po", LOCALE / "djangojs.po"]
IGNORES = [".venv", "tests", "staticfiles", "bench", "artifacts", "scripts", "node_modules"]


def makemessages() -> None:
    # makemessages reads no database: a URL it never connects to keeps the settings from
    # starting the embedded server (skillgate/localdb.py) for it.
    env = {**os.environ, "DEBUG": "true", "DATABASE_URL": "postgres://unused@localhost/unused"}
    base = [
        sys.executable,
        "manage.py",
        "makemessages",
        "-l",
        "zh_Hans",
        "--no-obsolete",
        "--no-location",
    ]
    base += [f"--ignore={i}" for i in IGNORES]
    subprocess.run(base, cwd=ROOT, env=env, check=True, capture_output=True)
    if list((ROOT / "static").rglob("*.js")):
        subprocess.run(
            [*base, "-d", "djangojs"], cwd=ROOT, env=env, check=True, capture_output=True
        )


def fill(mapping: dict[str, str]) -> None:
    for path in CATALOGUES:
        if not path.exists():
            continue
        po = polib.pofile(str(path), wrapwidth=0)
        for entry in po:
            if entry.msgid in mapping and (not entry.translated() or entry.fuzzy):
                value = mapping[entry.msgid]
                if entry.msgid_plural:
                    if isinstance(value, str):
                        value = [value, value]
                    entry.msgstr_plural = dict(enumerate(value[:1]))
                else:
                    entry.msgstr = value
                if "fuzzy" in entry.flags:
                    entry.flags.remove("fuzzy")
        po.save()


def missing() -> list[str]:
    out = []
    for path in CATALOGUES:
        if path.exists():
            po = polib.pofile(str(path))
            out += [e.msgid for e in po if not e.obsolete and (not e.translated() or e.fuzzy)]
    return out


def main() -> None:
    command = sys.argv[1] if len(sys.argv) > 1 else "update"
    LOCALE.mkdir(parents=True, exist_ok=True)
    with open(ROOT / ".i18n.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if command in {"update", "fill"}:
            makemessages()
        if command == "fill":
            for name in sys.argv[2:]:
                fill(json.loads(Path(name).read_text(encoding="utf-8")))
    left = missing()
    for msgid in left:
        print(json.dumps(msgid, ensure_ascii=False))
    print(f"{len(left)} msgid(s) without a translation", file=sys.stderr)


if __name__ == "__main__":
    main()
