"""Role permissions on the foundation's admin pages, table-driven."""

import pytest

from tenants.models import Role

pytestmark = pytest.mark.django_db

# (role, admin page, expected status for GET)
TABLE = [
    (Role.TENANT_ADMIN, "/admin/tenants/membership/", 200),
    (Role.TENANT_ADMIN, "/admin/tenants/membership/add/", 200),
    (Role.TENANT_ADMIN, "/admin/tenants/team/add/", 200),
    (Role.TENANT_ADMIN, "/admin/tenants/apikey/add/", 200),
    (Role.TENANT_ADMIN, "/admin/tenants/tenant/", 403),
    (Role.TENANT_ADMIN, "/admin/tenants/user/", 403),
    (Role.TRAINER, "/admin/tenants/membership/", 200),
    (Role.TRAINER, "/admin/tenants/membership/add/", 403),
    (Role.TRAINER, "/admin/tenants/apikey/", 403),
    (Role.TEAM_LEAD, "/admin/tenants/membership/", 403),
    (Role.AGENT, "/admin/tenants/membership/", 403),
]


def persona(world, role):
    return {
        Role.TENANT_ADMIN: world.admin,
        Role.TRAINER: world.trainer,
        Role.TEAM_LEAD: world.lead,
        Role.AGENT: world.agent,
    }[role]


@pytest.mark.parametrize(("role", "url", "status"), TABLE)
def test_role_reaches_only_what_it_should(world, client_for, role, url, status):
    assert client_for(persona(world, role)).get(url).status_code == status


def test_tenant_admin_sees_only_own_memberships(world, client_for):
    page = client_for(world.admin).get("/admin/tenants/membership/")
    employee_ids = {m.employee_id for m in page.context["cl"].queryset}
    assert world.agent.employee_id in employee_ids
    assert world.other_agent_b.employee_id not in employee_ids


def test_tenant_admin_adds_a_member_with_a_new_login(world, client_for):
    client = client_for(world.admin)
    response = client.post(
        "/admin/tenants/membership/add/",
        {
            "username": "newbie",
            "display_name": "New Bie",
            "email": "",
            "password": "a-long-enough-passphrase",
            "employee_id": "E777",
            "role": Role.AGENT,
            "team": world.team.pk,
            "active": "on",
        },
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    membership = world.tenant.__class__.objects.get(pk=world.tenant.pk)
    assert membership  # tenant still there
    from tenants.models import Membership

    created = Membership.objects.get(employee_id="E777")
    assert created.tenant_id == world.tenant.pk
    assert created.user.check_password("a-long-enough-passphrase")


def test_new_member_with_a_foreign_team_is_refused(world, client_for):
    from ..factories import TeamFactory

    foreign_team = TeamFactory(tenant=world.other_tenant)
    response = client_for(world.admin).post(
        "/admin/tenants/membership/add/",
        {
            "username": "sneaky",
            "display_name": "S",
            "password": "a-long-enough-passphrase",
            "employee_id": "E778",
            "role": Role.AGENT,
            "team": foreign_team.pk,
        },
    )
    assert response.status_code == 200
    assert "team" in response.context["adminform"].form.errors


def test_duplicate_employee_id_is_reported_on_the_field(world, client_for):
    response = client_for(world.admin).post(
        "/admin/tenants/membership/add/",
        {
            "username": "dup",
            "display_name": "D",
            "password": "a-long-enough-passphrase",
            "employee_id": world.agent.employee_id,
            "role": Role.AGENT,
        },
    )
    assert response.status_code == 200
    from tenants.models import User

    assert not User.objects.filter(username="dup").exists()


def test_platform_superuser_sees_every_tenant_in_the_admin(world):
    from django.test import Client

    from ..factories import UserFactory

    root = UserFactory(username="root", is_superuser=True, is_staff=True)
    client = Client()
    client.force_login(root)
    page = client.get("/admin/tenants/membership/")
    tenants = {m.tenant_id for m in page.context["cl"].queryset}
    assert {world.tenant.pk, world.other_tenant.pk} <= tenants
    assert client.get("/admin/tenants/tenant/").status_code == 200


def test_platform_superuser_adds_a_member_to_a_chosen_tenant(world):
    from django.test import Client

    from tenants.models import Membership

    from ..factories import UserFactory

    client = Client()
    client.force_login(UserFactory(username="root2", is_superuser=True, is_staff=True))
    response = client.post(
        "/admin/tenants/membership/add/",
        {
            "tenant": world.other_tenant.pk,
            "username": "placed",
            "display_name": "Placed",
            "password": "a-long-enough-passphrase",
            "employee_id": "P1",
            "role": "agent",
            "active": "on",
        },
    )
    assert response.status_code == 302
    assert Membership.objects.get(user__username="placed").tenant_id == world.other_tenant.pk
