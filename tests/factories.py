"""factory-boy factories. Every factory that owns a tenant takes it from its parent, so a built
graph never straddles two tenants by accident."""

import factory
from django.utils import timezone

from tenants.models import Membership, Role, Team, Tenant, User

PASSWORD = "correct-horse-battery"


class TenantFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Tenant
        django_get_or_create = ["slug"]

    slug = factory.Sequence(lambda n: f"tenant-{n}")
    name = factory.Sequence(lambda n: f"Contact centre {n}")
    time_zone = "Asia/Shanghai"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    display_name = factory.Faker("name")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.com")
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def _save(obj, create, extracted, **kwargs):  # noqa: N805
        if create:
            obj.save()


class TeamFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Team

    tenant = factory.SubFactory(TenantFactory)
    name = factory.Sequence(lambda n: f"Team {n}")


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    tenant = factory.SubFactory(TenantFactory)
    user = factory.SubFactory(UserFactory)
    role = Role.AGENT
    employee_id = factory.Sequence(lambda n: f"E{n:05d}")
    team = None


def make_team(tenant, *, name=None, lead_user=None):
    team = TeamFactory(tenant=tenant, **({"name": name} if name else {}))
    lead = MembershipFactory(
        tenant=tenant, role=Role.TEAM_LEAD, team=team, user=lead_user or UserFactory()
    )
    team.lead = lead
    team.save(update_fields=["lead"])
    return team


def now():
    return timezone.now()
