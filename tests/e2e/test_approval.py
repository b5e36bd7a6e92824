"""Real browser: a team lead approves one certification and rejects another with a comment in
the approval queue; each agent then sees the result. Screenshots kept as artifacts."""

import os

import pytest

from certification.models import Certification
from tenants.models import Role
from tests.certification.factories import certify, make_curriculum, make_group

from ..factories import MembershipFactory, TenantFactory, UserFactory, make_team

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _login(page, live_server, username):
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", "correct-horse-battery")
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/")


def _logout(page):
    page.click("form[action$='/logout/'] button")
    page.wait_for_load_state("load")


def test_lead_approves_one_rejects_one_and_agents_see_the_result(live_server, page, artifacts_dir):
    tenant = TenantFactory(slug="e2e-cert", name="E2E Centre")
    team = make_team(tenant, name="Blue", lead_user=UserFactory(username="e2e.lead"))
    alice = MembershipFactory(
        tenant=tenant,
        team=team,
        role=Role.AGENT,
        user=UserFactory(username="e2e.alice", display_name="Alice"),
    )
    bob = MembershipFactory(
        tenant=tenant,
        team=team,
        role=Role.AGENT,
        user=UserFactory(username="e2e.bob", display_name="Bob"),
    )
    group = make_group(tenant, code="telecom", curricula=[make_curriculum(tenant, code="telco")])
    first = certify(alice, group=group)
    second = certify(bob, group=group)

    _login(page, live_server, "e2e.lead")
    page.goto(f"{live_server.url}/certification/approvals/")
    assert page.locator(f"#cert-{first.pk}").is_visible()
    assert "90.00%" in page.locator(f"#cert-{first.pk}").inner_text()
    page.screenshot(path=str(artifacts_dir / "certification-approval-queue.png"), full_page=True)

    # Approve Alice.
    page.locator(f"#decide-{first.pk} button[value=approve]").click()
    page.wait_for_selector("text=Approved: Alice")

    # Rejecting Bob without a comment is refused; with a comment it goes through.
    page.locator(f"#decide-{second.pk} button[value=reject]").click()
    page.wait_for_selector("text=Say why you reject")
    page.fill(f"#comment-{second.pk}", "Scores too close to the pass mark; retake the quiz.")
    page.locator(f"#decide-{second.pk} button[value=reject]").click()
    page.wait_for_selector("text=Rejected: Bob")
    page.wait_for_selector("text=Nothing is waiting for your approval.")
    page.screenshot(path=str(artifacts_dir / "certification-queue-decided.png"), full_page=True)
    assert Certification.objects.get(pk=first.pk).status == "active"
    assert Certification.objects.get(pk=second.pk).status == "rejected"
    _logout(page)

    _login(page, live_server, "e2e.alice")
    page.goto(f"{live_server.url}/certification/")
    row = page.locator("#my-certifications tbody tr").first
    assert "Active" in row.inner_text()
    assert "You are now certified for Telecom" in page.locator("#notifications").inner_text()
    page.screenshot(path=str(artifacts_dir / "certification-agent-approved.png"), full_page=True)
    _logout(page)

    _login(page, live_server, "e2e.bob")
    page.goto(f"{live_server.url}/certification/")
    row = page.locator("#my-certifications tbody tr").first
    assert "Rejected" in row.inner_text()
    assert "retake the quiz" in row.inner_text()
    assert "was rejected" in page.locator("#notifications").inner_text()
    page.screenshot(path=str(artifacts_dir / "certification-agent-rejected.png"), full_page=True)
