"""Tenant isolation: every object URL, API endpoint and admin page answers another tenant exactly
as it answers a missing id; meta-tests make sure nothing new goes unclassified."""

import pytest
from django.apps import apps
from django.conf import settings
from django.urls import URLPattern, URLResolver, get_resolver

from tenants.admin_site import admin_site
from tenants.models import TenantScopedModel

from .isolation import (
    LEAK,
    REQUESTS,
    admin_urls,
    assert_isolated,
    check_case,
    foreign_client,
    give_distinctive_names,
)
from .isolation_registry import CASES, GLOBAL_MODELS, GLOBAL_URLS, MAKERS, PLATFORM_ROWS

PROJECT_APPS = set(settings.PROJECT_APPS)


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_foreign_object_url_answers_like_a_missing_one(case, world, api_client_for):
    check_case(case, world, api_client_for)


@pytest.mark.parametrize("model", list(MAKERS), ids=lambda m: m._meta.label)
def test_admin_pages_of_foreign_objects_answer_404(model, world, client_for):
    obj = MAKERS[model](world)
    assert obj.tenant_id == world.tenant.pk
    client = client_for(world.other_admin)
    for url_foreign, url_missing in admin_urls(model, obj.pk):
        # Read-only admins refuse delete with 403 before looking the row up: same for both.
        assert_isolated(
            client,
            url_foreign,
            url_missing,
            methods=("get", "post"),
            allowed=(403, 404, 405),
            need_404="/delete/" not in url_foreign,
            family="admin object pages",
        )


def test_admin_changelists_list_only_own_tenant(world, client_for):
    client = client_for(world.other_admin)
    for model in MAKERS:
        obj = MAKERS[model](world)
        opts = model._meta
        response = client.get(f"/admin/{opts.app_label}/{opts.model_name}/")
        if response.status_code == 200:
            changelist = response.context["cl"]
            assert obj.pk not in {row.pk for row in changelist.queryset}, opts.label


@pytest.mark.parametrize("model", list(PLATFORM_ROWS), ids=lambda m: m._meta.label)
def test_admin_pages_of_platform_rows_answer_like_missing_ones(model, world, client_for):
    """Superuser-only admins (tenants, users): an existing row and a missing id answer tenant
    B's admin the same, the history page included (it was 403 against a "doesn't exist"
    redirect)."""
    obj = PLATFORM_ROWS[model](world)
    client = client_for(world.other_admin)
    for url_foreign, url_missing in admin_urls(model, obj.pk):
        assert_isolated(
            client,
            url_foreign,
            url_missing,
            methods=("get", "post"),
            allowed=(403, 404, 405),
            need_404="/history/" in url_foreign,
            family="admin object pages",
        )


def test_every_admin_model_has_an_isolation_row():
    missing = [
        model._meta.label
        for model in admin_site._registry
        if model not in MAKERS and model not in PLATFORM_ROWS
    ]
    assert not missing, f"Admin pages without a MAKER or a PLATFORM_ROW: {missing}"


def _assert_no_leak(client, url):
    response = client.get(url)
    REQUESTS["admin lists and filters"] += 1
    assert response.status_code == 200, url
    assert LEAK not in response.content.decode(), f"{url} shows another tenant's row"
    return response


def test_admin_changelists_and_their_filters_show_no_other_tenants_names(world, client_for):
    """Every changelist tenant B's admin can open, plain, with facets and with each choice of
    each list filter applied, shows none of tenant A's names (foreign-key filters used to
    list every tenant's rows)."""
    for make in MAKERS.values():
        make(world)
    # Tenant B has rows of its own too, so that its filters have something to offer.
    other_world = type(world)(**{**world.__dict__, "tenant": world.other_tenant})
    for model in MAKERS:
        if model._meta.app_label == "tenants":
            MAKERS[model](other_world)
    give_distinctive_names(world.tenant)
    client = client_for(world.other_admin)
    before = REQUESTS["admin lists and filters"]
    checked_filters = 0
    for model in admin_site._registry:
        opts = model._meta
        url = f"/admin/{opts.app_label}/{opts.model_name}/"
        if client.get(url).status_code != 200:
            continue  # superuser-only: a plain 403 shows nothing
        changelist = _assert_no_leak(client, url).context["cl"]
        _assert_no_leak(client, f"{url}?_facets=True")
        for spec in changelist.filter_specs:
            checked_filters += 1
            for choice in spec.choices(changelist):
                _assert_no_leak(client, url + choice["query_string"])
    assert checked_filters >= 9
    assert REQUESTS["admin lists and filters"] - before >= 60


def _patterns(resolver=None, prefix=""):
    resolver = resolver or get_resolver()
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            ns = entry.namespace
            if ns == "admin":
                continue
            new_prefix = f"{prefix}{ns}:" if ns else prefix
            yield from _patterns(entry, new_prefix)
        elif isinstance(entry, URLPattern) and entry.name:
            yield f"{prefix}{entry.name}", entry


def test_every_url_with_an_id_is_classified():
    classified = {case.url_name for case in CASES} | set(GLOBAL_URLS)
    unclassified = [
        name
        for name, pattern in _patterns()
        if pattern.pattern.regex.groupindex and name not in classified
    ]
    assert not unclassified, (
        "URLs that take an id must get an isolation Case or a reason in GLOBAL_URLS: "
        f"{unclassified}"
    )


def test_every_model_is_tenant_scoped_or_declared_global():
    offenders = [
        model._meta.label
        for model in apps.get_models()
        if model._meta.app_label in PROJECT_APPS
        and not issubclass(model, TenantScopedModel)
        and model._meta.label not in GLOBAL_MODELS
    ]
    assert not offenders, f"Models without a tenant need a reason in GLOBAL_MODELS: {offenders}"


def test_every_tenant_model_in_the_admin_has_an_isolation_maker():
    missing = [
        model._meta.label
        for model in admin_site._registry
        if issubclass(model, TenantScopedModel) and model not in MAKERS
    ]
    assert not missing, f"Admin pages without an isolation maker: {missing}"


def test_unclassified_helper_catches_a_leak(world, api_client_for):
    """The helper itself must fail when a view leaks: a foreign id answered differently."""
    from tests.isolation import Case

    case = Case("healthz", make=lambda w: w.tenant)
    client = foreign_client(world, case, api_client_for)
    with pytest.raises(AssertionError):
        assert_isolated(client, "/healthz/", "/no-such-page/", methods=("get",))
