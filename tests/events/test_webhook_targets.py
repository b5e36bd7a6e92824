"""Webhook URLs never reach internal addresses (SSRF): the URL rules on registration (service and
admin), the address check before every try against what the host resolves to *now*, the
connection pinned to the checked address, no redirects, and WEBHOOK_ALLOW_PRIVATE_NETWORKS for
local receivers. The suite turns that setting on (tests/conftest.py); these tests turn it off."""

from __future__ import annotations

import os
import shutil
import socket
import ssl
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from django.utils import timezone, translation

from core.errors import InvalidInput
from events import addresses, schemas, services, tasks, webhooks
from events.models import WebhookAttempt, WebhookDelivery, WebhookEndpoint
from events.outbox import publish

from .receiver import Receiver

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def public_only(settings):
    settings.WEBHOOK_ALLOW_PRIVATE_NETWORKS = False


def _port(receiver: Receiver) -> int:
    return receiver.server.server_address[1]


def _refusal(tenant, url: str) -> InvalidInput:
    with pytest.raises(InvalidInput) as caught:
        services.create_webhook_endpoint(tenant=tenant, url=url)
    assert not WebhookEndpoint.objects.exists()
    return caught.value


# --------------------------------------------------------------------------- registration

REFUSED = [
    ("https://127.0.0.1/hook", "forbidden_address", "loopback"),
    ("https://127.8.9.10/hook", "forbidden_address", "loopback"),
    ("https://localhost/hook", "forbidden_address", "loopback"),
    ("https://api.localhost/hook", "forbidden_address", "loopback"),
    ("https://127.1/hook", "forbidden_address", "loopback"),  # what the resolver makes of it
    ("https://2130706433/hook", "forbidden_address", "loopback"),
    ("https://[::1]/hook", "forbidden_address", "loopback"),
    ("https://[::ffff:127.0.0.1]/hook", "forbidden_address", "loopback"),
    ("https://[2002:7f00:1::]/hook", "forbidden_address", "loopback"),  # 6to4 of 127.0.0.1
    ("https://10.0.0.5/hook", "forbidden_address", "private"),
    ("https://172.16.0.1/hook", "forbidden_address", "private"),
    ("https://172.31.255.254/hook", "forbidden_address", "private"),
    ("https://192.168.1.20/hook", "forbidden_address", "private"),
    ("https://[fc00::1]/hook", "forbidden_address", "private"),
    ("https://[fd12:3456::1]/hook", "forbidden_address", "private"),
    ("https://[::ffff:10.0.0.5]/hook", "forbidden_address", "private"),
    ("https://169.254.169.254/latest/meta-data/", "forbidden_address", "link-local"),
    ("https://[fe80::1]/hook", "forbidden_address", "link-local"),
    ("https://[fec0::1]/hook", "forbidden_address", "link-local"),  # IPv6 site-local
    ("https://0.0.0.0/hook", "forbidden_address", "unspecified"),
    ("https://[::]/hook", "forbidden_address", "unspecified"),
    ("https://224.0.0.1/hook", "forbidden_address", "multicast"),
    ("https://[ff02::1]/hook", "forbidden_address", "multicast"),
    ("https://100.64.0.1/hook", "forbidden_address", "reserved"),  # carrier-grade NAT
    ("https://192.0.2.10/hook", "forbidden_address", "reserved"),  # documentation range
    ("https://240.0.0.1/hook", "forbidden_address", "reserved"),
    ("https://[64:ff9b::a9fe:a9fe]/hook", "forbidden_address", "link-local"),  # NAT64 metadata
    ("https://user:secret@wfm.example.com/hook", "url_credentials", None),
    ("https://token@wfm.example.com/hook", "url_credentials", None),
    ("ftp://wfm.example.com/hook", "unsupported_scheme", None),
    ("file:///etc/passwd", "unsupported_scheme", None),
    ("wfm.example.com/hook", "unsupported_scheme", None),
    ("http://wfm.example.com/hook", "insecure_scheme", None),
    ("https:///hook", "invalid_url", None),
    ("https://wfm.example.com:99999/hook", "invalid_url", None),
]


@pytest.mark.parametrize(("url", "code", "kind"), REFUSED)
def test_registration_refuses_urls_that_could_reach_inside(world, public_only, url, code, kind):
    error = _refusal(world.tenant, url)
    assert error.code == code
    if kind:
        assert error.details["kind"] == kind
        assert "public internet addresses" in error.message
        assert str(addresses.ADDRESS_KINDS[kind]) in error.message


@pytest.mark.parametrize(
    "url",
    [
        "https://wfm.example.com/hooks",
        "https://wfm.example.com:8443/hooks?tenant=acme",
        "https://93.184.215.14/hooks",
        "https://[2606:4700:4700::1111]/hooks",
        "https://WFM.Example.COM./hooks",
    ],
)
def test_registration_accepts_public_https_urls(world, public_only, url):
    created = services.create_webhook_endpoint(tenant=world.tenant, url=url)
    assert created.endpoint.url == url


def test_private_networks_setting_allows_loopback_private_and_http_but_never_metadata(
    world, settings
):
    settings.WEBHOOK_ALLOW_PRIVATE_NETWORKS = True
    for url in (
        "http://127.0.0.1:9000/hook",
        "http://localhost:9000/hook",
        "https://[::1]/hook",
        "https://10.0.0.5/hook",
        "http://192.168.1.20/hook",
        "https://[fd00::1]/hook",
    ):
        services.create_webhook_endpoint(tenant=world.tenant, url=url)
    refused = {
        "https://169.254.169.254/": "link-local",
        "https://[fe80::1]/": "link-local",
        "https://0.0.0.0/": "unspecified",
        "https://224.0.0.1/": "multicast",
        "https://100.100.100.200/": "reserved",
    }
    for url, kind in refused.items():
        with pytest.raises(InvalidInput) as caught:
            services.create_webhook_endpoint(tenant=world.tenant, url=url)
        assert caught.value.details["kind"] == kind
    assert WebhookEndpoint.objects.count() == 6


def test_refusals_are_translated(world, public_only):
    with translation.override("zh-hans"):
        scheme = _refusal(world.tenant, "http://wfm.example.com/hook")
        address = _refusal(world.tenant, "https://169.254.169.254/")
    for error in (scheme, address):
        assert error.message and not error.message.isascii()


def test_a_changed_url_is_checked_and_an_unchanged_one_kept(world, settings):
    """An endpoint saved while the rules allowed it can still be switched off or narrowed."""
    settings.WEBHOOK_ALLOW_PRIVATE_NETWORKS = True
    endpoint = services.create_webhook_endpoint(
        tenant=world.tenant, url="http://127.0.0.1:9/"
    ).endpoint
    settings.WEBHOOK_ALLOW_PRIVATE_NETWORKS = False
    services.update_webhook_endpoint(
        tenant=world.tenant, endpoint_id=endpoint.pk, url=endpoint.url, active=False
    )
    with pytest.raises(InvalidInput) as caught:
        services.update_webhook_endpoint(
            tenant=world.tenant, endpoint_id=endpoint.pk, url="https://10.0.0.5/"
        )
    assert caught.value.code == "forbidden_address"
    endpoint.refresh_from_db()
    assert (endpoint.url, endpoint.active) == ("http://127.0.0.1:9/", False)


# --------------------------------------------------------------------------- admin


def test_admin_shows_why_a_url_is_refused(world, client_for, public_only):
    client = client_for(world.admin)
    response = client.post(
        "/admin/events/webhookendpoint/add/",
        {"url": "https://169.254.169.254/latest/", "event_types": "[]", "active": "on"},
    )
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors.as_data()["url"]
    assert [e.code for e in errors] == ["forbidden_address"]
    assert "link-local" in response.content.decode()
    assert not WebhookEndpoint.objects.exists()

    response = client.post(
        "/admin/events/webhookendpoint/add/",
        {"url": "https://ops:pw@wfm.example.com/", "event_types": "[]", "active": "on"},
    )
    assert "must not contain a user name or password" in response.content.decode()
    assert not WebhookEndpoint.objects.exists()


def test_admin_edit_checks_a_changed_url_and_keeps_an_unchanged_one(world, client_for, settings):
    endpoint = services.create_webhook_endpoint(
        tenant=world.tenant, url="https://wfm.example.com/hook"
    ).endpoint
    settings.WEBHOOK_ALLOW_PRIVATE_NETWORKS = False
    client = client_for(world.admin)
    change = f"/admin/events/webhookendpoint/{endpoint.pk}/change/"
    response = client.post(change, {"url": "https://[::1]/hook", "event_types": "[]"})
    assert response.status_code == 200
    assert "loopback" in response.content.decode()
    endpoint.refresh_from_db()
    assert endpoint.url == "https://wfm.example.com/hook" and endpoint.active

    WebhookEndpoint.objects.filter(pk=endpoint.pk).update(url="http://127.0.0.1:9/")  # legacy row
    response = client.post(change, {"url": "http://127.0.0.1:9/", "event_types": "[]"})
    assert response.status_code == 302
    endpoint.refresh_from_db()
    assert not endpoint.active


# --------------------------------------------------------------------------- delivery


def _publish_and_deliver(world):
    payload = schemas.get("certification.revoked").example()
    publish(tenant_id=world.tenant.pk, event_type="certification.revoked", payload=payload)
    tasks.dispatch_outbox(tenant_id=world.tenant.pk)
    return WebhookDelivery.objects.get()


def test_delivery_to_a_name_resolving_to_loopback_is_refused_and_retried(world, receiver, settings):
    """Registered while local receivers were allowed (or DNS changed since): the worker resolves
    ``localhost`` to 127.0.0.1 before the try and sends nothing."""
    url = f"http://localhost:{_port(receiver)}/hook"
    services.create_webhook_endpoint(tenant=world.tenant, url=url)
    settings.WEBHOOK_ALLOW_PRIVATE_NETWORKS = False

    delivery = _publish_and_deliver(world)

    assert receiver.received == []
    attempt = WebhookAttempt.objects.get()
    assert attempt.status_code is None
    assert attempt.error.startswith("refused (forbidden_address): localhost resolves to ")
    assert "a loopback address" in attempt.error  # 127.0.0.1 or ::1, as the resolver answers
    # A refusal is a failed try like any other: retried with backoff, then given up.
    assert (delivery.status, delivery.attempts) == ("pending", 1)
    assert delivery.next_attempt_at > timezone.now()
    assert delivery.last_error == attempt.error


def test_a_refused_delivery_gives_up_after_the_maximum_number_of_tries(world, receiver, settings):
    services.create_webhook_endpoint(tenant=world.tenant, url=receiver.url)
    settings.WEBHOOK_ALLOW_PRIVATE_NETWORKS = False
    settings.WEBHOOK_MAX_ATTEMPTS = 1
    delivery = _publish_and_deliver(world)
    assert delivery.status == "failed"
    assert "refused (forbidden_address): 127.0.0.1 is a loopback" in delivery.last_error
    assert receiver.received == []


def test_delivery_to_a_local_receiver_by_name_with_the_setting_on(world, receiver):
    url = f"http://localhost:{_port(receiver)}/hook"
    services.create_webhook_endpoint(tenant=world.tenant, url=url)
    delivery = _publish_and_deliver(world)
    assert delivery.status == "delivered"
    (got,) = receiver.received
    assert got.headers["host"] == f"localhost:{_port(receiver)}"


def test_the_connection_goes_to_the_checked_address_without_resolving_again(receiver):
    """Pinning: the name in the URL is only used for the Host header (and TLS); the socket is
    opened to the address that was checked. ``rebind.invalid`` cannot resolve at all (RFC 6761),
    so reaching the receiver proves no second lookup happened."""
    target = addresses.WebhookTarget("http", "rebind.invalid", _port(receiver), "/hook?x=1")
    with pytest.raises(socket.gaierror):
        webhooks.resolve(target)
    status = webhooks.post(target, ["127.0.0.1"], body=b"{}", headers={"x-test": "1"})
    assert status == 200
    (got,) = receiver.received
    assert got.headers["host"] == f"rebind.invalid:{_port(receiver)}"


def test_every_resolved_address_is_checked(settings):
    settings.WEBHOOK_ALLOW_PRIVATE_NETWORKS = False
    target = addresses.WebhookTarget("https", "localhost", 443, "/")
    with pytest.raises(InvalidInput) as caught:
        webhooks.resolve(target)
    assert caught.value.code == "forbidden_address"
    assert caught.value.details["address"] in {"127.0.0.1", "::1"}
    settings.WEBHOOK_ALLOW_PRIVATE_NETWORKS = True
    assert "127.0.0.1" in webhooks.resolve(target)


class _Redirect(BaseHTTPRequestHandler):
    location = ""

    def do_POST(self):  # noqa: N802
        self.rfile.read(int(self.headers.get("content-length") or 0))
        self.send_response(302)
        self.send_header("Location", self.location)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


def test_redirects_are_not_followed(world, receiver):
    handler = type("Handler", (_Redirect,), {"location": receiver.url})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        services.create_webhook_endpoint(
            tenant=world.tenant, url=f"http://127.0.0.1:{server.server_address[1]}/hook"
        )
        delivery = _publish_and_deliver(world)
    finally:
        server.shutdown()
        server.server_close()
    assert delivery.status == "pending"
    assert delivery.last_status_code == 302
    assert delivery.last_error == "HTTP 302 (redirects are not followed)"
    assert receiver.received == []


# --------------------------------------------------------------------------- TLS


@pytest.fixture
def tls_receiver(tmp_path, monkeypatch):
    """An HTTPS receiver on 127.0.0.1 with a certificate for ``localhost``, trusted through
    SSL_CERT_FILE (read by ssl.create_default_context)."""
    openssl = shutil.which("openssl")
    if openssl is None:
        pytest.skip("needs the openssl command to make a test certificate")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        [openssl, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1"]
        + ["-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost"]
        + ["-keyout", str(key), "-out", str(cert)],
        check=True,
        capture_output=True,
    )
    monkeypatch.setenv("SSL_CERT_FILE", str(cert))
    r = Receiver().start()
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    r.server.socket = context.wrap_socket(r.server.socket, server_side=True)
    yield r
    r.stop()


def test_https_is_pinned_and_still_verifies_the_certificate_against_the_url_host(tls_receiver):
    port = _port(tls_receiver)
    target = addresses.WebhookTarget("https", "localhost", port, "/hook")
    assert webhooks.post(target, webhooks.resolve(target), body=b"{}", headers={}) == 200
    assert len(tls_receiver.received) == 1
    # Same address, another name: the certificate is for localhost, so the handshake fails.
    other = addresses.WebhookTarget("https", "rebind.invalid", port, "/hook")
    with pytest.raises(ssl.SSLCertVerificationError):
        webhooks.post(other, ["127.0.0.1"], body=b"{}", headers={})
    assert len(tls_receiver.received) == 1


# --------------------------------------------------------------------------- settings


def _setting_in_a_fresh_process(**env) -> str:
    code = "import skillgate.settings as s; print(s.WEBHOOK_ALLOW_PRIVATE_NETWORKS)"
    clean = {k: v for k, v in os.environ.items() if k != "WEBHOOK_ALLOW_PRIVATE_NETWORKS"}
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={**clean, "SECRET_KEY": "x" * 50, "AUDIT_CHAIN_KEY": "y" * 50, **env},
        check=True,
        capture_output=True,
        text=True,
    )
    return result.stdout.strip()


def test_private_networks_are_off_by_default_in_production_and_on_in_development():
    assert _setting_in_a_fresh_process(DEBUG="false") == "False"
    assert _setting_in_a_fresh_process(DEBUG="true") == "True"
    assert (
        _setting_in_a_fresh_process(DEBUG="false", WEBHOOK_ALLOW_PRIVATE_NETWORKS="true") == "True"
    )
    assert (
        _setting_in_a_fresh_process(DEBUG="true", WEBHOOK_ALLOW_PRIVATE_NETWORKS="false") == "False"
    )


def test_deploy_check_warns_when_private_networks_are_allowed_in_production(settings):
    from django.core.checks import run_checks

    settings.DEBUG = False
    settings.WEBHOOK_ALLOW_PRIVATE_NETWORKS = True
    ids = [m.id for m in run_checks(include_deployment_checks=True)]
    assert "events.W001" in ids
    settings.WEBHOOK_ALLOW_PRIVATE_NETWORKS = False
    ids = [m.id for m in run_checks(include_deployment_checks=True)]
    assert "events.W001" not in ids
