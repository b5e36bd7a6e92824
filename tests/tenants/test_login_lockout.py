"""Login lockout keys failures on username AND the client address, the address taken from a
trusted proxy's header only (issue 16)."""

import pytest
from axes.models import AccessAttempt
from django.conf import settings
from django.test import Client
from django.urls import reverse

from ..factories import PASSWORD

pytestmark = pytest.mark.django_db

ATTACKER = "203.0.113.66"
VICTIM = "198.51.100.7"
PROXY = "10.0.0.5"


def login(username, password, **meta):
    return Client().post(reverse("login"), {"username": username, "password": password}, **meta)


def fail_until_locked(username, **meta):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        login(username, "wrong", **meta)


def test_spoofed_forwarded_for_without_trusted_proxy_does_not_change_the_address(world):
    # The attacker names the victim's address in X-Forwarded-For: the failures are its own.
    fail_until_locked("agent", REMOTE_ADDR=ATTACKER, HTTP_X_FORWARDED_FOR=VICTIM)
    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {ATTACKER}
    assert login("agent", PASSWORD, REMOTE_ADDR=VICTIM).status_code == 302
    # ...and rotating the header does not escape the attacker's own lockout.
    for n in range(3):
        refused = login(
            "agent", PASSWORD, REMOTE_ADDR=ATTACKER, HTTP_X_FORWARDED_FOR=f"192.0.2.{n}"
        )
        assert refused.status_code == 429


def test_with_one_trusted_proxy_the_address_is_the_one_the_proxy_appended(world, settings):
    settings.TRUSTED_PROXY_COUNT = 1
    # The client sent "X-Forwarded-For: <victim>"; the proxy appended the attacker's address.
    chain = f"{VICTIM}, {ATTACKER}"
    fail_until_locked("agent", REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=chain)
    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {ATTACKER}
    locked = login("agent", PASSWORD, REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=ATTACKER)
    assert locked.status_code == 429
    # The victim, behind the same proxy, still signs in.
    ok = login("agent", PASSWORD, REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=VICTIM)
    assert ok.status_code == 302


def test_with_a_trusted_proxy_a_configured_header_is_read(world, settings):
    settings.TRUSTED_PROXY_COUNT = 1
    settings.TRUSTED_PROXY_HEADER = "X-Real-IP"
    fail_until_locked(
        "agent", REMOTE_ADDR=PROXY, HTTP_X_REAL_IP=ATTACKER, HTTP_X_FORWARDED_FOR=VICTIM
    )
    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {ATTACKER}


def test_failures_from_address_a_do_not_lock_the_username_from_address_b(world):
    fail_until_locked("agent", REMOTE_ADDR=ATTACKER)
    assert login("agent", PASSWORD, REMOTE_ADDR=ATTACKER).status_code == 429
    assert login("agent", PASSWORD, REMOTE_ADDR=VICTIM).status_code == 302
    # Nor another username from address A.
    assert login("agent2", PASSWORD, REMOTE_ADDR=ATTACKER).status_code == 302


@pytest.mark.parametrize(
    ("count", "header", "expected"),
    [
        (0, "192.0.2.1", PROXY),
        (1, "", PROXY),  # not through the proxy: its own address
        (1, "not-an-address", PROXY),
        (1, "192.0.2.1, 192.0.2.2", "192.0.2.2"),
        (2, "192.0.2.1, 192.0.2.2, 192.0.2.3", "192.0.2.2"),
        (2, "192.0.2.3", PROXY),  # shorter than the proxy chain
        (1, "2001:db8::1", "2001:db8::1"),
    ],
)
def test_client_ip_trusts_only_the_configured_proxy_chain(settings, rf, count, header, expected):
    from skillgate.client_ip import client_ip

    settings.TRUSTED_PROXY_COUNT = count
    request = rf.get("/", REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=header)
    assert client_ip(request) == expected
