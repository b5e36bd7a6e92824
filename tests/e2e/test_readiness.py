"""Real browser: an agent whose certification expired opens the readiness page, reads what to do
next and follows the link to the quiz to take."""

import os
from datetime import timedelta

import pytest

from certification.services import expire_due_certifications
from tenants.models import Role
from tests.certification.factories import certify, make_curriculum, make_group

from ..factories import MembershipFactory, TenantFactory, UserFactory, make_team

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_an_agent_with_an_expired_certification_follows_the_link_to_the_quiz(
    live_server, page, artifacts_dir
):
    tenant = TenantFactory(slug="e2e-ready", name="E2E Readiness", default_language="en")
    team = make_team(tenant, name="Blue", lead_user=UserFactory(username="e2e.lead2"))
    agent = MembershipFactory(
        tenant=tenant, team=team, role=Role.AGENT, user=UserFactory(username="e2e.carol")
    )
    curriculum = make_curriculum(tenant, code="telco", lessons=1, quizzes=1)
    group = make_group(tenant, code="telecom", curricula=[curriculum], requires_approval=False)
    cert = certify(agent, group=group)
    expire_due_certifications(now=cert.valid_until + timedelta(seconds=1))
    quiz = curriculum.quizzes.get()

    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("input[name=username]", "e2e.carol")
    page.fill("input[name=password]", "correct-horse-battery")
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/")
    page.goto(f"{live_server.url}/certification/readiness/{group.pk}/")
    card = page.locator("section.readiness[data-state=expired]")
    assert "expired on" in card.locator(".next-step").inner_text()
    page.screenshot(path=str(artifacts_dir / "readiness-expired.png"), full_page=True)
    card.locator(f"ol.next-steps a[href$='/training/quizzes/{quiz.pk}/']").click()
    page.wait_for_url(f"{live_server.url}/training/quizzes/{quiz.pk}/")
    assert quiz.title in page.content()
