"""Meta-test: no page formats a time in a fixed zone or a fixed clock format.

Templates may give ``date``/``time`` a named format (DATE_FORMAT, SHORT_DATETIME_FORMAT: the
language's) or a date-only pattern for machine values (a week in a URL); a literal pattern with
hours, minutes or a zone, ``|utc`` and a fixed ``{% timezone %}`` are refused. App code may not
``strftime`` or f-string-format a time of day, which skips the active zone and the language.
"""

from __future__ import annotations

import re
from pathlib import Path

from django.conf import settings

ROOT = Path(settings.BASE_DIR)
# Format characters of Django's date filter that print a time of day or a zone.
TIME_CHARACTERS = set("aAfgGhHiPsuveOTZcrU")
LITERAL_FORMAT = re.compile(r"""\|(?:date|time):(["'])(?P<format>[^"']*)\1""")
FIXED_ZONE = re.compile(r"""\|utc\b|\{%\s*timezone\s+["']|\{%\s*localtime\s+off""")
PYTHON_TIME_FORMAT = re.compile(r"""strftime\(|\{[^{}\n]*:[^{}\n]*%[HIMSpzZ]""")
# Left alone on purpose, with the reason.
PYTHON_ALLOWED: set[str] = set()


def template_problems(text: str) -> list[str]:
    problems = [m.group(0) for m in FIXED_ZONE.finditer(text)]
    for match in LITERAL_FORMAT.finditer(text):
        fmt = match.group("format")
        if not fmt.endswith("_FORMAT") and TIME_CHARACTERS & set(fmt.replace("\\", "")):
            problems.append(match.group(0))
    return problems


def python_problems(text: str) -> list[str]:
    return [m.group(0) for m in PYTHON_TIME_FORMAT.finditer(text)]


def _templates() -> list[Path]:
    folders = [Path(d) for t in settings.TEMPLATES for d in t["DIRS"]]
    folders += [ROOT / app / "templates" for app in settings.PROJECT_APPS]
    return sorted(p for folder in folders if folder.is_dir() for p in folder.rglob("*.html"))


def _app_code() -> list[Path]:
    files = []
    for app in settings.PROJECT_APPS:
        files += [p for p in (ROOT / app).rglob("*.py") if "migrations" not in p.parts]
    return sorted(files)


def test_templates_show_times_in_the_active_zone_and_the_languages_format():
    templates = _templates()
    assert len(templates) > 30
    found = {
        str(p.relative_to(ROOT)): problems
        for p in templates
        if (problems := template_problems(p.read_text()))
    }
    assert not found, f"Times in a fixed zone or clock format: {found}"


def test_app_code_formats_no_time_of_day_by_hand():
    found = {
        rel: problems
        for p in _app_code()
        if (rel := str(p.relative_to(ROOT))) not in PYTHON_ALLOWED
        and (problems := python_problems(p.read_text()))
    }
    assert not found, f"Times formatted by hand (use date_format and localtime): {found}"


def test_the_rules_catch_what_they_are_for():
    assert template_problems('{{ x|date:"Y-m-d H:i" }}') == ['|date:"Y-m-d H:i"']
    assert template_problems("{{ x|time:'H:i' }}") == ["|time:'H:i'"]
    assert template_problems('{% timezone "UTC" %}{{ x|utc }}') == ['{% timezone "', "|utc"]
    assert not template_problems('{{ x|date:"SHORT_DATETIME_FORMAT" }} {{ d|date:"Y-m-d" }}')
    assert not template_problems("{{ x|time }} {% timezone tz %}")
    assert python_problems('f"{when:%Y-%m-%d %H:%M}"') and python_problems("x.strftime('%H')")
    assert not python_problems('f"{day:%Y%m%d}"')
