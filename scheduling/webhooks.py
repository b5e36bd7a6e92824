"""Standard Webhooks (https://www.standardwebhooks.com/): the body, the three headers and one
HTTP try. Signing uses the ``standardwebhooks`` package, so receivers can verify with any
Standard Webhooks library."""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from datetime import UTC, datetime

from django.conf import settings
from standardwebhooks import Webhook

from .models import WebhookDelivery
from .services import iso, webhook_id

USER_AGENT = "Skillgate-Webhooks/1.0"


def body_for(delivery: WebhookDelivery) -> str:
    event = delivery.event
    return json.dumps(
        {
            "type": event.event_type,
            "timestamp": iso(event.created_at),
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
    """POST the signed event once. Any 2xx is success; everything else is a failed try."""
    at = datetime.now(UTC)
    body = body_for(delivery)
    headers = signed_headers(
        secret=delivery.endpoint.secret, msg_id=webhook_id(delivery), body=body, at=at
    )
    url = delivery.endpoint.url
    if not url.startswith(("http://", "https://")):
        return TryResult(None, "only http(s) URLs are delivered", 0, at)
    request = urllib.request.Request(  # noqa: S310 - scheme checked above
        url, data=body.encode(), headers=headers, method="POST"
    )
    started = time.monotonic()
    status, error = None, ""
    try:
        with urllib.request.urlopen(  # noqa: S310 - scheme checked above
            request, timeout=settings.WEBHOOK_TIMEOUT_SECONDS
        ) as response:
            status = response.status
    except urllib.error.HTTPError as exc:
        status, error = exc.code, f"HTTP {exc.code}"
    except (urllib.error.URLError, OSError, ValueError) as exc:
        error = f"{type(exc).__name__}: {exc}"
    duration = int((time.monotonic() - started) * 1000)
    return TryResult(status, error, duration, at)
