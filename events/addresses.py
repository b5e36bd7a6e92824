"""Where a webhook may go: the one check of an endpoint's URL (on registration, in the service
and the admin form) and of every address it resolves to before each try (``events.webhooks``)."""

from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.errors import InvalidInput

# Where a webhook may go. Tenant admins choose the URL and the worker POSTs to it from inside our
# network, so an internal address there would be server-side request forgery. Loopback and the
# private ranges are allowed only while WEBHOOK_ALLOW_PRIVATE_NETWORKS is on (development, the
# test suite, the benchmarks); every other non-public kind is refused whatever the setting.
ADDRESS_KINDS = {
    "loopback": gettext_lazy("a loopback address (this machine)"),
    "private": gettext_lazy("a private network address"),
    "link-local": gettext_lazy("a link-local address (such as a cloud metadata service)"),
    "multicast": gettext_lazy("a multicast address"),
    "unspecified": gettext_lazy("the unspecified address"),
    "reserved": gettext_lazy("a reserved or otherwise non-public address"),
}
PRIVATE_NETWORKS = tuple(
    ipaddress.ip_network(n) for n in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "fc00::/7")
)
NAT64_PREFIX = ipaddress.ip_network("64:ff9b::/96")
IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


def address_kind(address: str | IPAddress) -> str | None:
    """The kind of a non-public address (a key of ``ADDRESS_KINDS``), or None for a globally
    routable one. ``is_global`` alone is not enough (multicast and IPv6 site-local count as
    global), and an IPv6 address that carries an IPv4 one is judged by that one too."""
    ip = ipaddress.ip_address(address) if isinstance(address, str) else address
    if ip.version == 6:
        if ip.ipv4_mapped is not None:  # ::ffff:a.b.c.d is a.b.c.d on a dual-stack socket
            return address_kind(ip.ipv4_mapped)
        embedded = ip.sixtofour or (ip.teredo[1] if ip.teredo else None)
        if embedded is None and ip in NAT64_PREFIX:
            embedded = ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
        if embedded is not None and (kind := address_kind(embedded)):
            return kind
    if ip.is_unspecified:
        return "unspecified"
    if ip.is_loopback:
        return "loopback"
    if ip.is_link_local or (ip.version == 6 and ip.is_site_local):
        return "link-local"
    if ip.is_multicast:
        return "multicast"
    if any(ip in network for network in PRIVATE_NETWORKS if network.version == ip.version):
        return "private"
    if ip.is_reserved or ip.is_private or not ip.is_global:
        return "reserved"
    return None


def address_refusal(address: str | IPAddress) -> str | None:
    """The kind of ``address`` when a webhook may not be sent to it under the current settings."""
    kind = address_kind(address)
    if kind in ("loopback", "private") and settings.WEBHOOK_ALLOW_PRIVATE_NETWORKS:
        return None
    return kind


def forbidden_address(host: str, address: str, kind: str) -> InvalidInput:
    if host == address:
        message = _("%(host)s is %(kind)s; webhooks are only sent to public internet addresses.")
    else:
        message = _(
            "%(host)s resolves to %(address)s, %(kind)s; webhooks are only sent to public "
            "internet addresses."
        )
    return InvalidInput(
        message % {"host": host, "address": address, "kind": ADDRESS_KINDS[kind]},
        code="forbidden_address",
        details={"host": host, "address": address, "kind": kind},
    )


@dataclass(frozen=True)
class WebhookTarget:
    scheme: str
    host: str  # a name, or an IP literal without brackets
    port: int
    path: str  # path and query string, at least "/"


def webhook_target(url: str, *, registering: bool = True) -> WebhookTarget:
    """The one check of a webhook URL, run when an endpoint is saved (service and admin form) and
    again before every try. Raises ``InvalidInput`` with a stable code: ``invalid_url``,
    ``unsupported_scheme``, ``insecure_scheme`` (plain http unless private networks are allowed;
    only when ``registering``, so endpoints saved before the rule keep being delivered to),
    ``url_credentials`` or ``forbidden_address`` (an IP literal that is not allowed, or
    ``localhost`` on registration). Host names are not resolved here: the answer may change, so
    the worker resolves and checks every address before each try (``events.webhooks``)."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        raise InvalidInput(_("Enter a valid URL."), code="invalid_url") from None
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        raise InvalidInput(_("Webhook URLs must start with https://."), code="unsupported_scheme")
    if scheme == "http" and registering and not settings.WEBHOOK_ALLOW_PRIVATE_NETWORKS:
        raise InvalidInput(
            _("Webhook URLs must use https://; plain http is accepted only in development."),
            code="insecure_scheme",
        )
    if "@" in parts.netloc:
        raise InvalidInput(
            _(
                "Webhook URLs must not contain a user name or password; receivers check the "
                "webhook signature instead."
            ),
            code="url_credentials",
        )
    host = (parts.hostname or "").rstrip(".")
    if not host:
        raise InvalidInput(_("The URL names no host."), code="invalid_url")
    literal = ip_literal(host)
    kind = None
    if literal is not None:
        kind = address_refusal(literal)
    elif registering and (host == "localhost" or host.endswith(".localhost")):
        kind = address_refusal("127.0.0.1")  # loopback by definition (RFC 6761): say so now
    if kind:
        raise forbidden_address(host, host, kind)
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    return WebhookTarget(scheme, host, port or (443 if scheme == "https" else 80), path)


def ip_literal(host: str) -> IPAddress | None:
    """``host`` as an address when it is one, including the legacy IPv4 spellings the resolver
    also accepts (``127.1``, ``2130706433``, ``0x7f.0.0.1``)."""
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        pass
    try:
        return ipaddress.IPv4Address(socket.inet_aton(host))
    except OSError:
        return None
