"""The ranges user input must stay inside so that arithmetic and the database cannot overflow.

Python dates stop at years 1 and 9999 and PostgreSQL ``bigint`` at 2**63 - 1: a week parameter
of 9999-12-31 overflows when the next week is computed (``OverflowError``), a day in year 1
overflows when a time zone moves it into year 0, and an id of 10**30 fails in the database
(``DataError``), each a 500. Input is checked against these bounds where it is read, and
refused as a form error or a 400.
"""

from __future__ import annotations

from datetime import date

from django.core.exceptions import ValidationError
from django.utils.formats import date_format
from django.utils.translation import gettext as _

# Generous for a contact centre's calendar (history back to 1900, plans up to 2999), and far
# enough from the ends of Python's calendar for every week, month or time zone shift.
EARLIEST_DATE = date(1900, 1, 1)
LATEST_DATE = date(2999, 12, 31)
MAX_ID = 2**63 - 1  # PostgreSQL bigint


def date_in_range(day: date) -> bool:
    return EARLIEST_DATE <= day <= LATEST_DATE


def date_range_message() -> str:
    return _("Enter a date between %(earliest)s and %(latest)s.") % {
        "earliest": date_format(EARLIEST_DATE, "SHORT_DATE_FORMAT"),
        "latest": date_format(LATEST_DATE, "SHORT_DATE_FORMAT"),
    }


def validate_date_in_range(value: date) -> None:
    """Form field validator: a date inside the supported calendar."""
    if value is not None and not date_in_range(value):
        raise ValidationError(date_range_message(), code="date_out_of_range")


def parse_id(raw: str) -> int | None:
    """A database id written in ASCII digits and inside bigint, else None."""
    if not (raw.isascii() and raw.isdigit()) or len(raw) > 19:
        return None
    value = int(raw)
    return value if 0 < value <= MAX_ID else None
