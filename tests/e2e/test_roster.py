"""Real browser at phone width: a team lead picks a window on the roster, is offered only the
eligible agent, adds the shift and cancels it with a reason. Screenshots kept as artifacts."""

import os
import zoneinfo
from datetime import timedelta

import pytest
from django.utils import timezone

from scheduling.models import ShiftAssignment
from tenants.models import Role
from tests.scheduling.factories import make_certification, make_skill_group

from ..factories import MembershipFactory, TenantFactory, UserFactory, make_team

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_lead_adds_only_an_eligible_agent_and_cancels_with_a_reason(
    live_server, page, artifacts_dir, settings
):
    settings.SECURE_SSL_REDIRECT = False
    tenant = TenantFactory(slug="e2e-roster", name="E2E Roster")
    team = make_team(tenant, name="Blue", lead_user=UserFactory(username="e2e.rlead"))
    ok = MembershipFactory(
        tenant=tenant, team=team, role=Role.AGENT, user=UserFactory(display_name="Certified Cara")
    )
    MembershipFactory(
        tenant=tenant, team=team, role=Role.AGENT, user=UserFactory(display_name="Uncertified Uma")
    )
    group = make_skill_group(tenant, "telecom", name="Telecom")
    make_certification(ok, group)
    day = (
        timezone.now().astimezone(zoneinfo.ZoneInfo(tenant.time_zone)) + timedelta(days=1)
    ).date()

    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("input[name=username]", "e2e.rlead")
    page.fill("input[name=password]", "correct-horse-battery")
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/")
    page.goto(f"{live_server.url}/scheduling/roster/?group=telecom")
    page.fill("#window-form input[name=day]", day.isoformat())
    page.fill("#window-form input[name=start]", "09:00")
    page.fill("#window-form input[name=end]", "17:00")
    page.click("#window-form button[type=submit]")
    options = page.locator("#add-form select[name=agent] option").all_inner_texts()
    assert len(options) == 1 and "Certified Cara" in options[0]
    page.screenshot(path=str(artifacts_dir / "scheduling-roster-add.png"), full_page=True)
    page.click("#add-form button[type=submit]")
    page.wait_for_selector("text=Shift added.")
    shift = ShiftAssignment.objects.get()
    assert page.locator(f"#shift-{shift.pk}").is_visible()
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")

    page.fill(f"#reason-{shift.pk}", "Agent on training")
    page.click(f"#shift-{shift.pk} button.danger")
    page.wait_for_selector("text=Shift cancelled.")
    page.screenshot(path=str(artifacts_dir / "scheduling-roster-cancelled.png"), full_page=True)
    shift.refresh_from_db()
    assert (shift.status, shift.cancel_reason) == ("cancelled", "Agent on training")
