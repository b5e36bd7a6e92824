"""Login, throttling, sessions, language and tenant switching."""

import pytest
from axes.models import AccessAttempt
from django.conf import settings
from django.test import Client
from django.urls import reverse

from tenants.models import Role

from ..factories import PASSWORD, MembershipFactory, TenantFactory, UserFactory

pytestmark = pytest.mark.django_db


def login(client, username, password=PASSWORD):
    return client.post(reverse("login"), {"username": username, "password": password})


def test_agent_logs_in_and_lands_on_the_dashboard(world):
    client = Client()
    response = login(client, "agent")
    assert response.status_code == 302
    assert response.url == reverse("dashboard")
    page = client.get(reverse("dashboard"))
    assert page.status_code == 200
    assert page.context["request"].tenant == world.tenant


def test_wrong_password_is_shown_on_the_form(world):
    response = login(Client(), "agent", "wrong")
    assert response.status_code == 200
    assert response.context["form"].non_field_errors()


@pytest.mark.parametrize("length", [151, 256, 5_000])
def test_over_long_username_is_a_form_error_and_records_nothing(length, world):
    """Django's login form never checked the username's length: a name longer than the
    failed-login record's column (255) was a 500."""
    response = login(Client(), "汉" * length, "wrong")
    assert response.status_code == 200
    assert "username" in response.context["form"].errors
    assert not AccessAttempt.objects.exists()


def test_repeated_failed_logins_are_throttled(world):
    client = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT):
        login(client, "agent", "wrong")
    response = login(client, "agent")  # even the right password is refused while locked
    assert response.status_code == 429
    assert "Too many failed logins" in response.content.decode()


def test_session_lasts_one_shift_not_two_weeks(world, client_for):
    client = Client()
    login(client, "agent")
    assert settings.SESSION_COOKIE_AGE == 10 * 3600
    assert client.session.get_expiry_age() <= 10 * 3600


def test_anonymous_dashboard_redirects_to_login(db):
    response = Client().get(reverse("dashboard"))
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


def test_language_switch_to_chinese_translates_the_dashboard(world, client_for):
    client = client_for(world.agent)
    response = client.post(reverse("set_language"), {"language": "zh-hans", "next": "/"})
    assert response.status_code == 302
    page = client.get("/").content.decode()
    assert "退出登录" in page  # "Log out"
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    assert "Log out" in client.get("/").content.decode()


def test_user_with_two_memberships_switches_tenant(world, client_for):
    MembershipFactory(tenant=world.other_tenant, user=world.agent.user, employee_id="X1")
    client = client_for(world.agent)
    assert client.get("/").context["request"].tenant == world.tenant
    response = client.post(reverse("switch_tenant"), {"tenant": world.other_tenant.pk})
    assert response.status_code == 302
    assert client.get("/").context["request"].tenant == world.other_tenant


def test_switching_to_a_tenant_you_do_not_belong_to_answers_404(world, client_for):
    client = client_for(world.agent)
    foreign = client.post(reverse("switch_tenant"), {"tenant": world.other_tenant.pk})
    missing = client.post(reverse("switch_tenant"), {"tenant": 2_000_000_000})
    assert foreign.status_code == missing.status_code == 404
    assert client.get("/").context["request"].tenant == world.tenant


def test_deactivated_membership_loses_the_tenant_at_once(world, client_for):
    client = client_for(world.agent)
    world.agent.active = False
    world.agent.save()
    assert client.get("/").status_code == 404


def test_tenant_switcher_only_lists_own_memberships(world, client_for):
    extra = TenantFactory(slug="third", name="Third Centre")
    MembershipFactory(tenant=extra, user=world.agent.user, employee_id="X2")
    page = client_for(world.agent).get("/").content.decode()
    assert "Third Centre" in page
    assert world.other_tenant.name not in page


def test_password_change_form_shows_errors_next_to_fields(world, client_for):
    client = client_for(world.agent)
    response = client.post(
        reverse("password_change"),
        {"old_password": "nope", "new_password1": "x", "new_password2": "y"},
    )
    assert response.status_code == 200
    assert response.context["form"].errors["old_password"]
    assert 'class="error"' in response.content.decode()


def test_password_reset_sends_a_mail(world, mailoutbox):
    world.agent.user.email = "agent@example.com"
    world.agent.user.save()
    response = Client().post(reverse("password_reset"), {"email": "agent@example.com"})
    assert response.status_code == 302
    assert len(mailoutbox) == 1


@pytest.mark.parametrize(
    ("role", "admin_status"),
    [
        (Role.AGENT, 403),
        (Role.TEAM_LEAD, 403),
        (Role.TRAINER, 200),
        (Role.TENANT_ADMIN, 200),
    ],
)
def test_admin_site_opens_only_to_trainers_and_tenant_admins(role, admin_status, client_for):
    tenant = TenantFactory()
    membership = MembershipFactory(tenant=tenant, role=role, user=UserFactory())
    assert client_for(membership).get("/admin/").status_code == admin_status
