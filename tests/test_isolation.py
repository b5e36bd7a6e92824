"""Tenant isolation: every object URL, API endpoint and admin page answers another tenant exactly
as it answers a missing id; meta-tests make sure nothing new goes unclassified."""

import pytest
from django.apps import apps
from django.conf import settings
from django.urls import URLPattern, URLResolver, get_resolver

from tenants.admin_site import admin_site
from tenants.models import TenantScopedModel

from .isolation import admin_urls, assert_isolated, check_case, foreign_client
from .isolation_registry import CASES, GLOBAL_MODELS, GLOBAL_URLS, MAKERS

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
