"""The admin's tenant scoping beyond the changelist: list filters, search (autocomplete),
popups and raw-id labels offer only the active tenant's rows; platform superusers see all."""

import pytest
from django.contrib import admin
from django.test import Client, RequestFactory

from certification.models import Certification, SkillGroup
from tenants.admin_site import admin_site
from tenants.mixins import TenantModelAdmin, TenantRelatedFieldListFilter
from tenants.models import Membership
from tests.certification.factories import make_group
from tests.factories import UserFactory, make_team
from tests.training.factories import CategoryFactory, make_question, make_quiz
from training.models import Question, QuizQuestion


def _filter_choices(response, field_path):
    changelist = response.context["cl"]
    (spec,) = [s for s in changelist.filter_specs if getattr(s, "field_path", None) == field_path]
    return {label for _pk, label in spec.lookup_choices}


def test_foreign_key_list_filter_offers_only_the_tenants_rows(world, client_for):
    make_group(world.tenant, code="own")
    make_group(world.tenant, code="own2")  # a filter with one choice is not shown at all
    make_group(world.other_tenant, code="foreign")
    response = client_for(world.admin).get("/admin/certification/certification/")
    choices = _filter_choices(response, "skill_group")
    assert any("(own)" in label for label in choices)
    assert not any("(foreign)" in label for label in choices)
    assert "(foreign)" not in response.content.decode()


def test_platform_superuser_filters_offer_every_tenants_rows(world):
    make_group(world.tenant, code="own")
    make_group(world.other_tenant, code="foreign")
    client = Client()
    client.force_login(UserFactory(username="root", is_superuser=True, is_staff=True))
    response = client.get("/admin/certification/certification/")
    choices = _filter_choices(response, "skill_group")
    assert any("(own)" in label for label in choices)
    assert any("(foreign)" in label for label in choices)


def test_every_foreign_key_list_filter_is_made_tenant_aware(world):
    request = RequestFactory().get("/")
    request.user, request.tenant, request.membership = world.admin.user, world.tenant, world.admin
    for path, model in [
        ("skill_group", Certification),
        ("team", Membership),
    ]:
        model_admin = admin_site._registry[model]
        assert (path, TenantRelatedFieldListFilter) in model_admin.get_list_filter(request)
    # Plain fields and explicit filter classes stay as declared.
    assert "status" in admin_site._registry[Certification].get_list_filter(request)


def test_search_results_are_scoped_even_for_an_unscoped_queryset(world):
    """Autocomplete and popups search through get_search_results: it scopes on its own."""
    own = make_question(CategoryFactory(tenant=world.tenant), text="Roaming own", choices=[])
    make_question(CategoryFactory(tenant=world.other_tenant), text="Roaming foreign", choices=[])
    request = RequestFactory().get("/")
    request.user, request.tenant, request.membership = world.admin.user, world.tenant, world.admin
    model_admin = admin_site._registry[Question]
    found, _ = model_admin.get_search_results(request, Question.objects.all(), "Roaming")
    assert list(found) == [own]


def test_related_object_popup_lists_only_the_tenants_rows(world, client_for):
    make_group(world.tenant, code="own")
    make_group(world.other_tenant, code="foreign")
    response = client_for(world.admin).get(
        "/admin/certification/skillgroup/", {"_popup": "1", "_to_field": "id"}
    )
    assert response.status_code == 200
    codes = {group.code for group in response.context["cl"].result_list}
    assert codes == {"own"}
    assert SkillGroup.objects.filter(code="foreign").exists()


class _RawIdMembershipAdmin(TenantModelAdmin):
    raw_id_fields = ["team"]


def test_raw_id_widget_shows_no_label_for_another_tenants_row(world):
    foreign_team = make_team(world.other_tenant, name="Foreign crimson team")
    own_team = make_team(world.tenant, name="Own teal team")
    request = RequestFactory().get("/")
    request.user, request.tenant, request.membership = world.admin.user, world.tenant, world.admin
    model_admin = _RawIdMembershipAdmin(Membership, admin.AdminSite(name="admin"))
    field = model_admin.formfield_for_foreignkey(Membership._meta.get_field("team"), request)
    assert "Foreign crimson team" not in field.widget.render("team", foreign_team.pk)
    assert "Own teal team" in field.widget.render("team", own_team.pk)


class _UserAndTenantFilterAdmin(TenantModelAdmin):
    list_filter = ["user", "tenant"]


def test_filters_on_users_and_tenants_offer_only_the_tenants_own(world):
    """Filters on rows without a tenant column are scoped too: users by membership, tenants to
    the active one."""
    request = RequestFactory().get("/")
    request.user, request.tenant, request.membership = world.admin.user, world.tenant, world.admin
    model_admin = _UserAndTenantFilterAdmin(Membership, admin_site)
    changelist = model_admin.get_changelist_instance(request)
    offered = {
        spec.field_path: {pk for pk, _label in spec.lookup_choices}
        for spec in changelist.filter_specs
    }
    own_users = set(Membership.objects.filter(tenant=world.tenant).values_list("user", flat=True))
    assert offered["user"] == own_users
    assert world.other_admin.user_id not in offered["user"]
    # One tenant is a single choice: Django leaves such a filter out.
    assert offered.get("tenant", {world.tenant.pk}) == {world.tenant.pk}


def _change_form_data(page) -> dict:
    """The POST a change page would send unchanged: its form's values and each inline's
    management form."""
    form = page.context["adminform"].form
    data = {name: form[name].value() for name in form.fields if form[name].value() is not None}
    for inline in page.context["inline_admin_formsets"]:
        management = inline.formset.management_form
        data.update({management.add_prefix(k): v for k, v in management.initial.items()})
    return data


@pytest.mark.parametrize("value", ["\x0b", "abc", str(10**30), "-1"])
def test_autocomplete_field_with_an_invalid_id_shows_the_form_again(value, world, client_for):
    """The quiz page's fixed questions use an autocomplete widget, which looked the submitted
    value up again to show it next to the error: a value that is no id was a 500."""
    quiz = make_quiz(world.tenant, n_questions=0)
    client = client_for(world.trainer)
    url = f"/admin/training/quiz/{quiz.pk}/change/"
    data = _change_form_data(client.get(url))
    data.update({"fixed_items-TOTAL_FORMS": "1", "fixed_items-0-question": value})
    data["fixed_items-0-position"] = "0"
    response = client.post(url, data)
    assert response.status_code == 200
    errors = response.context["inline_admin_formsets"][0].formset.errors
    assert "question" in errors[0], errors
    assert not QuizQuestion.objects.filter(quiz=quiz).exists()


@pytest.mark.parametrize("year", ["10000", str(10**30)])
def test_a_date_hierarchy_year_past_the_calendar_is_bad_input_not_a_500(year, world, client_for):
    response = client_for(world.admin).get(
        "/admin/scheduling/shiftassignment/", {"starts_at__year": year}
    )
    assert response.status_code == 302
    assert response["Location"].endswith("?e=1")
