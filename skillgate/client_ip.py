"""The client address of a request, as login throttling (django-axes) keys failures on it.

Without a trusted proxy (``TRUSTED_PROXY_COUNT=0``, the default) it is the peer address of
the connection, ``REMOTE_ADDR``: forwarding headers are the client's own words and ignored, so
nobody can lock another address out, nor escape a lockout, by sending ``X-Forwarded-For``.

Behind N trusted proxies, each appending the address it received the request from to
``TRUSTED_PROXY_HEADER`` (``X-Forwarded-For`` by default), the client is the N-th entry from
the right: the one the outermost trusted proxy appended. Entries left of it came from the
client and are ignored. A request whose header is missing, shorter than N or malformed there
did not come through the proxies as configured and falls back to ``REMOTE_ADDR``.
"""

from __future__ import annotations

import ipaddress

from django.conf import settings


def meta_key(header: str) -> str:
    """``X-Forwarded-For`` -> ``HTTP_X_FORWARDED_FOR``."""
    return "HTTP_" + header.strip().upper().replace("-", "_")


def client_ip(request) -> str | None:
    remote = request.META.get("REMOTE_ADDR") or None
    count = settings.TRUSTED_PROXY_COUNT
    if count <= 0:
        return remote
    entries = [
        e.strip() for e in request.META.get(meta_key(settings.TRUSTED_PROXY_HEADER), "").split(",")
    ]
    if len(entries) < count:
        return remote
    candidate = entries[-count]
    try:
        return str(ipaddress.ip_address(candidate))
    except ValueError:
        return remote
