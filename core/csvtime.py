"""Times in CSV exports: each export is in the zone of the person who downloads it (the active
time zone), says so in the header of every time column ("valid_until (Asia/Shanghai)"), and
writes RFC 3339 with the local offset (2026-12-07T17:00:00+08:00). A reader sees local wall
time; a program parses an exact instant; the file stays one header row and data rows."""

from __future__ import annotations

from datetime import datetime, tzinfo

from django.utils import timezone


def zone_label(tz: tzinfo | None = None) -> str:
    """The IANA name of the zone (the active one by default)."""
    tz = tz or timezone.get_current_timezone()
    return getattr(tz, "key", None) or str(tz)


def time_column(name: str, tz: tzinfo | None = None) -> str:
    """A time column's header naming the export's zone."""
    return f"{name} ({zone_label(tz)})"


def local_time(value: datetime | None, tz: tzinfo | None = None) -> str:
    """RFC 3339 in the export's zone, as exact as stored (an audit matches it to the event);
    empty for no value."""
    if value is None:
        return ""
    return value.astimezone(tz or timezone.get_current_timezone()).isoformat()
