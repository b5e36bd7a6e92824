"""Which time zone a person reads times in: their own if they set one, else their tenant's.

Zone names are validated when written (forms, admin), but a row written by SQL or a zone
dropped from a later tzdata must not break a page or a sweep: an unknown name falls through
to the next choice and finally to the server's zone (settings.TIME_ZONE, UTC by default).
"""

from __future__ import annotations

import zoneinfo
from functools import lru_cache

from django.utils import timezone


@lru_cache(maxsize=1)
def known_zones() -> frozenset[str]:
    """The IANA zone names this installation knows (read from tzdata once per process)."""
    return frozenset(zoneinfo.available_timezones())


@lru_cache(maxsize=512)
def zone_named(name: str) -> zoneinfo.ZoneInfo | None:
    """The zone of an IANA name, or None for an empty or unknown one."""
    if name not in known_zones():
        return None
    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return None


def viewer_zone(*, user_zone: str = "", tenant_zone: str = "") -> zoneinfo.ZoneInfo:
    """The zone a person sees times in: their own, else the tenant's, else the server's."""
    return zone_named(user_zone) or zone_named(tenant_zone) or timezone.get_default_timezone()


def time_zone_choices() -> list[tuple[str, str]]:
    """Every IANA zone name, sorted, for a select."""
    return [(name, name) for name in sorted(known_zones())]
