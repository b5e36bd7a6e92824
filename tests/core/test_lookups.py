"""core.db.lookups: ``__any_of`` answers what ``__in`` answers, with one parameter on
PostgreSQL whatever the list's length."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tenants.models import Membership

# More values than PostgreSQL takes bind parameters in one statement.
PAST_THE_LIMIT = 70_000


@pytest.mark.django_db
def test_answers_what_in_answers(world):
    wanted = [world.agent.pk, world.lead.pk, None, world.agent.pk, 10**12]
    any_of = Membership.objects.filter(pk__any_of=wanted).order_by("pk")
    assert list(any_of) == list(Membership.objects.filter(pk__in=wanted).order_by("pk"))
    assert {m.pk for m in any_of} == {world.agent.pk, world.lead.pk}


@pytest.mark.django_db
def test_foreign_keys_take_ids_and_instances(world):
    others = Membership.objects.filter(tenant=world.tenant).exclude(team=None)
    team = others.first().team
    by_id = Membership.objects.filter(team_id__any_of=[team.pk]).order_by("pk")
    assert list(by_id) == list(Membership.objects.filter(team=team).order_by("pk"))
    assert list(Membership.objects.filter(team__any_of=[team]).order_by("pk")) == list(by_id)


@pytest.mark.django_db
def test_empty_and_null_only_lists_match_nothing_without_a_query(world):
    with CaptureQueriesContext(connection) as ctx:
        assert list(Membership.objects.filter(pk__any_of=[])) == []
        assert list(Membership.objects.filter(pk__any_of=[None])) == []
    assert ctx.captured_queries == []


@pytest.mark.django_db
def test_a_subquery_stays_a_subquery(world):
    agents = Membership.objects.filter(tenant=world.tenant, pk=world.agent.pk).values("pk")
    assert list(Membership.objects.filter(pk__any_of=agents)) == [world.agent]


@pytest.mark.django_db
def test_text_values_compare_as_the_column_does(world):
    found = Membership.objects.filter(
        tenant=world.tenant, employee_id__any_of=[world.agent.employee_id, "nobody"]
    )
    assert list(found) == [world.agent]


@pytest.mark.django_db
def test_a_list_past_postgresqls_parameter_limit_is_one_parameter(world):
    ids = [*range(10**9, 10**9 + PAST_THE_LIMIT), world.agent.pk]
    with CaptureQueriesContext(connection) as ctx:
        assert list(Membership.objects.filter(pk__any_of=ids)) == [world.agent]
    [query] = ctx.captured_queries
    assert "= ANY(" in query["sql"]
