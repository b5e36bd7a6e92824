"""Real browser: log in, switch to 中文, see the dashboard; screenshot kept as an artifact."""

import os

import pytest

from tenants.models import Role

from ..factories import MembershipFactory, TenantFactory, UserFactory

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_agent_logs_in_switches_to_chinese_and_sees_the_dashboard(live_server, page, artifacts_dir):
    tenant = TenantFactory(slug="e2e", name="E2E Centre")
    MembershipFactory(tenant=tenant, role=Role.AGENT, user=UserFactory(username="e2e.agent"))

    page.goto(f"{live_server.url}/")
    assert "/accounts/login/" in page.url
    page.fill("input[name=username]", "e2e.agent")
    page.fill("input[name=password]", "correct-horse-battery")
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/")
    assert page.locator("h1").inner_text().startswith("Welcome")

    page.select_option("#language-select", "zh-hans")
    page.wait_for_load_state("load")
    page.wait_for_selector("text=退出登录")
    assert page.locator("h1").inner_text().startswith("欢迎")
    assert page.locator("html").get_attribute("lang") == "zh-hans"
    page.screenshot(path=str(artifacts_dir / "dashboard-zh-hans.png"), full_page=True)
