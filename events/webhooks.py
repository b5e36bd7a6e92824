"""Standard Webhooks (https://www.standardwebhooks.com/): the body, the three headers and one
HTTP try. Signing uses the ``standardwebhooks`` package, so receivers can verify with any
Standard Webhooks library.

A try resolves the endpoint's host once, refuses it unless every address is public
(``addresses.address_refusal``) and connects to those vetted addresses only, so a second DNS
answer (rebinding) cannot send it elsewhere. TLS still verifies the certificate against the URL's
host name. Redirects are not followed and environment proxies are not used: the request goes
straight to the checked address or not at all."""

from __future__ import annotations

import http.client
import json
import socket
import ssl
import time
from dataclasses import dataclass
from datetime import UTC, datetime

from django.conf import settings
from standardwebhooks import Webhook

from core.errors import InvalidInput

from .addresses import WebhookTarget, address_refusal, forbidden_address, webhook_target
from .models import WebhookDelivery
from .schemas import rfc3339
from .services import webhook_id

USER_AGENT = "Skillgate-Webhooks/1.0"


def body_for(delivery: WebhookDelivery) -> str:
    event = delivery.event
    return json.dumps(
        {
            "type": event.event_type,
            "timestamp": rfc3339(event.created_at),
            "event_id": event.pk,
            "data": event.payload,
        },
        separators=(",", ":"),
        ensure_ascii=False,
        sort_keys=True,
    )


def signed_headers(*, secret: str, msg_id: str, body: str, at: datetime) -> dict[str, str]:
    at = at.astimezone(UTC)
    return {
        "webhook-id": msg_id,
        "webhook-timestamp": str(int(at.timestamp())),
        "webhook-signature": Webhook(secret).sign(msg_id=msg_id, timestamp=at, data=body),
        "content-type": "application/json",
        "user-agent": USER_AGENT,
    }


@dataclass(frozen=True)
class TryResult:
    status_code: int | None
    error: str
    duration_ms: int
    at: datetime


def send(delivery: WebhookDelivery) -> TryResult:
    """POST the signed event once. Any 2xx is success; everything else (a refused address, a
    redirect, an error answer, a network failure) is a failed try, retried like any other."""
    at = datetime.now(UTC)
    body = body_for(delivery)
    headers = signed_headers(
        secret=delivery.endpoint.secret, msg_id=webhook_id(delivery), body=body, at=at
    )
    started = time.monotonic()
    status, error = None, ""
    try:
        target = webhook_target(delivery.endpoint.url, registering=False)
        addresses = resolve(target)
        status = post(target, addresses, body=body.encode(), headers=headers)
        if not 200 <= status < 300:
            error = f"HTTP {status}"
            if 300 <= status < 400:
                error += " (redirects are not followed)"
    except InvalidInput as exc:
        error = f"refused ({exc.code}): {exc.message}"
    except (OSError, http.client.HTTPException, ValueError) as exc:
        error = f"{type(exc).__name__}: {exc}"
    duration = int((time.monotonic() - started) * 1000)
    return TryResult(status, error, duration, at)


def resolve(target: WebhookTarget) -> list[str]:
    """Every address the target's host resolves to, in the resolver's order; ``InvalidInput``
    (``forbidden_address``) if any of them is not allowed, so a name with one internal record
    among public ones is refused rather than tried until it lands inside."""
    infos = socket.getaddrinfo(target.host, target.port, type=socket.SOCK_STREAM)
    addresses = list(dict.fromkeys(info[4][0] for info in infos))
    for address in addresses:
        if kind := address_refusal(address):
            raise forbidden_address(target.host, address, kind)
    return addresses


def post(target: WebhookTarget, addresses: list[str], *, body: bytes, headers: dict) -> int:
    """POST to the target over a connection to one of ``addresses`` (already checked); the Host
    header, TLS server name and certificate check use the URL's host. Returns the status code."""
    timeout = settings.WEBHOOK_TIMEOUT_SECONDS
    if target.scheme == "https":
        conn = PinnedHTTPSConnection(
            target.host,
            target.port,
            addresses=addresses,
            timeout=timeout,
            context=ssl.create_default_context(),
        )
    else:
        conn = PinnedHTTPConnection(target.host, target.port, addresses=addresses, timeout=timeout)
    try:
        conn.request("POST", target.path, body=body, headers=headers)
        return conn.getresponse().status
    finally:
        conn.close()


def connect_to(addresses: list[str], port: int, timeout: float) -> socket.socket:
    """A TCP connection to the first of ``addresses`` that answers within the one timeout."""
    deadline = time.monotonic() + timeout
    last: OSError | None = None
    for address in addresses:
        left = deadline - time.monotonic()
        if left <= 0:
            break
        try:
            return socket.create_connection((address, port), timeout=left)
        except OSError as exc:
            last = exc
    raise last or TimeoutError(f"timed out connecting to {', '.join(addresses)}")


class PinnedHTTPConnection(http.client.HTTPConnection):
    def __init__(self, host: str, port: int, *, addresses: list[str], timeout: float):
        super().__init__(host, port, timeout=timeout)
        self.addresses = addresses

    def connect(self) -> None:
        self.sock = connect_to(self.addresses, self.port, self.timeout)


class PinnedHTTPSConnection(http.client.HTTPSConnection):
    def __init__(
        self,
        host: str,
        port: int,
        *,
        addresses: list[str],
        timeout: float,
        context: ssl.SSLContext,
    ):
        super().__init__(host, port, timeout=timeout, context=context)
        self.addresses = addresses
        self.tls = context

    def connect(self) -> None:
        sock = connect_to(self.addresses, self.port, self.timeout)
        try:
            self.sock = self.tls.wrap_socket(sock, server_hostname=self.host)
        except BaseException:
            sock.close()
            raise
