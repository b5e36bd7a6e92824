"""Tenant isolation beyond object URLs: every list, page and export without an object id shows
none of another tenant's rows to any persona (or API key, or signed-in lead on the API), and
every id, employee id or code taken from a query string or a body answers for another tenant's
row exactly as for one that does not exist, writing nothing. Meta-tests keep the registries
(tests/<app>/isolation.py) complete: a new URL, query key, form or serializer field fails them
until it is declared."""

from __future__ import annotations

import inspect
import re
from dataclasses import dataclass
from datetime import datetime
from importlib import import_module

import pytest
from django import forms
from django.apps import apps
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.urls import reverse
from django.utils import timezone
from rest_framework import serializers

from tenants.admin_site import admin_site
from tenants.models import TenantScopedModel

from .isolation import (
    LEAK,
    MISSING_INT,
    REQUESTS,
    IdProbe,
    assert_same_answer,
    give_distinctive_names,
    leaks,
    send,
)
from .isolation_data import (
    FOREIGN_ID_BASE,
    TenantData,
    foreign_tenant,
    models_without_rows,
    own_tenant,
)
from .isolation_registry import ID_PROBES, LIST_URLS, NOT_IDS, OWN_ROWS_SHOWN
from .test_isolation import _patterns

PROJECT_APPS = settings.PROJECT_APPS


@dataclass
class Ctx:
    own: TenantData
    foreign: TenantData
    clients: dict
    now: datetime  # one time for every request that names a window, so answers compare


def _refresh(data: TenantData) -> TenantData:
    for value in vars(data).values():
        if hasattr(value, "refresh_from_db"):
            value.refresh_from_db()
    for membership in (data.lead, data.admin, data.agent, data.agent2):
        membership.user.refresh_from_db()
    return data


@pytest.fixture
def ctx(world, client_for, api_client_for) -> Ctx:
    """Tenant A (``world.tenant``) with its personas and rows; tenant B with rows in every
    tenant-owned model, each id from FOREIGN_ID_BASE up and every name, code and employee id
    containing LEAK."""
    own = own_tenant(world)
    foreign = foreign_tenant(world)
    give_distinctive_names(world.other_tenant)
    clients = {
        "agent": client_for(world.agent),
        "agent2": client_for(world.other_agent),
        "lead": client_for(world.lead),
        "trainer": client_for(world.trainer),
        "admin": client_for(world.admin),
        "key": api_client_for(world.tenant),
    }
    return Ctx(own=_refresh(own), foreign=_refresh(foreign), clients=clients, now=timezone.now())


def _id_less_urls() -> list[str]:
    return [name for name, pattern in _patterns() if not pattern.pattern.regex.groupindex]


def _queries(url_name: str, ctx: Ctx) -> list[dict]:
    return [q(ctx) if callable(q) else q for q in LIST_URLS[url_name]]


# --- lists and exports ------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)  # the event feed shows events of finished transactions
def test_lists_and_exports_show_no_other_tenants_rows(ctx):
    """Every URL without an object id, with each of its registered queries, fetched by every
    persona of tenant A (agent, second agent, lead, trainer, admin: sessions; and an API key):
    no answer holds a name, code, employee id or id of tenant B, and each page that lists rows
    shows tenant A's own (so the check is not run against empty lists)."""
    assert models_without_rows(ctx.foreign.tenant) == []
    before = REQUESTS["lists and exports"]
    problems, shown = [], set()
    for url_name in _id_less_urls():
        url = reverse(url_name)
        for query in _queries(url_name, ctx):
            for persona, client in ctx.clients.items():
                response = client.get(url, query)
                REQUESTS["lists and exports"] += 1
                what = f"{persona} GET {url}?{query}"
                if response.status_code >= 500:
                    problems.append(f"{what}: {response.status_code}")
                    continue
                body = b"".join(response) if response.streaming else response.content
                found = leaks(body, echoed=[str(v) for v in query.values()])
                if found:
                    problems.append(f"{what} shows {found[:5]}")
                expected = OWN_ROWS_SHOWN.get(url_name)
                if response.status_code == 200 and expected and expected(ctx.own).encode() in body:
                    shown.add(url_name)
    assert not problems, "\n".join(problems)
    assert shown == set(OWN_ROWS_SHOWN), f"never showed own rows: {set(OWN_ROWS_SHOWN) - shown}"
    made = REQUESTS["lists and exports"] - before
    assert made >= sum(len(LIST_URLS[u]) for u in _id_less_urls()) * len(ctx.clients) >= 300


def test_the_api_takes_a_lead_session_and_refuses_an_agents(ctx):
    """The API authenticates people by session too (DESIGN: humans by session, machines by
    key), so the lists above and the probes below ask it with a signed-in lead as well as with
    a key; an agent's session is refused."""
    url = reverse("scheduling-api:skill-groups")
    lead = ctx.clients["lead"].get(url)
    assert lead.status_code == 200
    assert ctx.own.group.code in {row["code"] for row in lead.json()["results"]}
    assert ctx.clients["agent"].get(url).status_code == 403
    whoami = ctx.clients["lead"].get(reverse("tenants-api:whoami")).json()
    assert whoami == {
        "tenant": ctx.own.tenant.slug,
        "principal": ctx.own.lead.user.username,
        "kind": "user",
    }


def test_every_url_without_an_id_has_its_list_queries():
    """A new page, export or API list must be declared in LIST_URLS (with the queries that
    show its rows) before it passes."""
    urls = set(_id_less_urls())
    assert not urls - set(LIST_URLS), f"URLs without LIST_URLS queries: {urls - set(LIST_URLS)}"
    assert not set(LIST_URLS) - urls, f"LIST_URLS of unknown URLs: {set(LIST_URLS) - urls}"
    assert set(OWN_ROWS_SHOWN) <= urls


def test_every_tenant_model_gets_rows_in_the_foreign_tenant(world):
    foreign_tenant(world)
    assert models_without_rows(world.other_tenant) == []


# --- ids in query strings and bodies ------------------------------------------------------------

# Rows of project tables that a request may touch without writing anything of the tenant's:
# the key's last use.
VOLATILE_TABLES = {"tenants_apikey"}


def _fingerprint() -> dict:
    out = {}
    with connection.cursor() as cursor:
        for model in apps.get_models(include_auto_created=True):
            table = model._meta.db_table
            if model._meta.app_label not in PROJECT_APPS or table in VOLATILE_TABLES:
                continue
            cursor.execute(
                f"SELECT count(*), md5(coalesce(string_agg(t::text, '|' ORDER BY t::text), ''))"
                f' FROM "{table}" t'
            )
            out[table] = cursor.fetchone()
    return out


def _diff(before: dict, after: dict) -> list[str]:
    return [table for table in before if before[table] != after[table]]


def run_probe(probe: IdProbe, ctx: Ctx, client, persona: str) -> None:
    url = reverse(probe.url_name, kwargs=probe.url_kwargs(ctx))
    foreign_value = probe.foreign(ctx)
    what = f"{probe.id} ({persona})"
    answers = []
    for value in (foreign_value, probe.missing):
        before = _fingerprint()
        response = send(client, probe.method, url, probe.request(ctx, value))
        REQUESTS["ids in query strings and bodies"] += 1
        changed = _diff(before, _fingerprint())
        assert not changed, f"{what} with {value!r} wrote to {changed}"
        followed = None
        if (
            probe.follow
            and response.status_code in (301, 302, 303)
            and response.url.startswith("/")
        ):
            followed = client.get(response.url)
            REQUESTS["ids in query strings and bodies"] += 1
        answers.append((response, followed))
    (foreign, foreign_next), (missing, missing_next) = answers
    assert_same_answer(foreign, missing, foreign_value, probe.missing, what)
    if foreign_next is not None or missing_next is not None:
        assert foreign_next is not None and missing_next is not None, what
        assert_same_answer(
            foreign_next, missing_next, foreign_value, probe.missing, f"{what}, page after"
        )


def test_ids_outside_the_path_answer_like_missing_ones(ctx):
    """Each registered place that takes an id, employee id or code in a query string, form or
    JSON body: tenant B's value answers exactly like a value that does not exist (status, body
    and redirect modulo the value, and the page the redirect leads to), and writes nothing."""
    before = REQUESTS["ids in query strings and bodies"]
    problems = []
    for probe in ID_PROBES:
        for persona in probe.clients:
            try:
                run_probe(probe, ctx, ctx.clients[persona], persona)
            except AssertionError as exc:
                problems.append(str(exc).splitlines()[0])
    assert not problems, "\n".join(problems)
    made = REQUESTS["ids in query strings and bodies"] - before
    assert made >= 2 * sum(len(p.clients) for p in ID_PROBES)


GIFT = b"::Q1:: Is this a question? {T}\n"


def _question_import(ctx, value):
    return {
        "data": {
            "file": SimpleUploadedFile("q.gift", GIFT),
            "format": "gift",
            "category": value,
        }
    }


ADMIN_PROBES = [
    IdProbe(
        "question import: another tenant's category",
        "admin:training_question_import",
        inputs=("training.admin.ImportForm.category",),
        foreign=lambda ctx: str(ctx.foreign.question.category_id),
        missing=str(MISSING_INT),
        request=_question_import,
        clients=("admin", "trainer"),
    ),
]


def _admin_choice_fields(request, model_admin):
    """(field name, related model) of every model choice in ``model_admin``'s add form."""
    form = model_admin.get_form(request, None, change=False)
    for name, field in form.base_fields.items():
        if isinstance(field, forms.ModelChoiceField):
            related = field.queryset.model
            if issubclass(related, TenantScopedModel):
                yield name, related


def _admin_add_form_probes(ctx) -> list[IdProbe]:
    """Every model choice of every admin add form tenant A's admin may use, and of every inline
    formset on it, given a row of tenant B of the related model."""
    from django.test import RequestFactory

    request = RequestFactory().get("/")
    request.user = ctx.own.admin.user
    request.tenant = ctx.own.tenant
    request.membership = ctx.own.admin
    probes = []
    for model, model_admin in admin_site._registry.items():
        if not model_admin.has_add_permission(request):
            continue
        opts = model._meta
        targets = [
            ("", {}, name, related) for name, related in _admin_choice_fields(request, model_admin)
        ]
        for inline in model_admin.get_inline_instances(request):
            formset = inline.get_formset(request)
            prefix = formset.get_default_prefix()
            management = {
                f"{prefix}-TOTAL_FORMS": "1",
                f"{prefix}-INITIAL_FORMS": "0",
                f"{prefix}-MIN_NUM_FORMS": "0",
                f"{prefix}-MAX_NUM_FORMS": "1000",
            }
            for name, field in formset.form.base_fields.items():
                if isinstance(field, forms.ModelChoiceField) and issubclass(
                    field.queryset.model, TenantScopedModel
                ):
                    targets.append((f"{prefix}-0-", management, name, field.queryset.model))
        for prefix, extra, name, related in targets:
            row = related._default_manager.filter(tenant=ctx.foreign.tenant).order_by("pk").first()
            probes.append(
                IdProbe(
                    f"admin add {opts.label}: another tenant's {prefix}{name}",
                    f"admin:{opts.app_label}_{opts.model_name}_add",
                    inputs=(f"admin:{opts.label}.{prefix}{name}",),
                    foreign=lambda ctx, row=row: str(row.pk),
                    missing=str(MISSING_INT),
                    request=lambda ctx, value, key=prefix + name, extra=extra: {
                        "data": {**extra, key: value}
                    },
                    clients=("admin",),
                )
            )
    return probes


def test_admin_forms_take_no_other_tenants_ids(ctx):
    """Every foreign key and many-to-many choice of every admin add form (and the question
    import's category): tenant B's id answers like a missing one and nothing is written."""
    before = REQUESTS["ids in query strings and bodies"]
    probes = ADMIN_PROBES + _admin_add_form_probes(ctx)
    problems = []
    for probe in probes:
        for persona in probe.clients:
            try:
                run_probe(probe, ctx, ctx.clients[persona], persona)
            except AssertionError as exc:
                problems.append(str(exc).splitlines()[0])
    assert not problems, "\n".join(problems)
    assert len(probes) >= 12
    assert REQUESTS["ids in query strings and bodies"] - before >= 2 * len(probes)


# --- the registries are complete ----------------------------------------------------------------

# Reads of the request's query string and body; in views and API modules also of the local
# names they are parsed into (``post = request.POST``, ``body = _json_body(request)``,
# ``data = request.query_params``) and of helpers taking the request and a key.
_REQUEST_READS = re.compile(
    r"request\.(?:GET|POST|query_params|data)\.(?:get|getlist)\(\s*\"([^\"]+)\""
)
_LOCAL_READS = re.compile(r"(?<![.\w])(?:post|body|data)\.(?:get|getlist)\(\s*\"([^\"]+)\"")
_PARAM_HELPER = re.compile(r"_\w*param\(request,\s*\"(\w+)\"")
_REQUEST_MODULES = ("views", "api", "admin", "admin_site")


def _project_modules(names=_REQUEST_MODULES):
    for app in PROJECT_APPS:
        for name in names:
            try:
                yield import_module(f"{app}.{name}")
            except ModuleNotFoundError:
                continue


def _keys_read_by_views() -> set[str]:
    """``<module>:<key>`` for every key a view module reads from a query string or body."""
    found = set()
    for module in _project_modules():
        source = inspect.getsource(module)
        keys = _REQUEST_READS.findall(source)
        if module.__name__.rsplit(".", 1)[-1] in ("views", "api"):
            keys += _LOCAL_READS.findall(source) + _PARAM_HELPER.findall(source)
        found.update(f"{module.__name__}:{key}" for key in keys)
    return found


def _subclasses(cls):
    for sub in cls.__subclasses__():
        yield sub
        yield from _subclasses(sub)


def _project_classes(base):
    list(_project_modules(("forms", "serializers", "views", "api", "admin")))  # import them all
    return {
        cls
        for cls in _subclasses(base)
        if cls.__module__.split(".")[0] in PROJECT_APPS and not cls.__name__.startswith("_")
    }


def _form_fields() -> tuple[set[str], set[str]]:
    """(fields of plain forms, model choices of model forms), as ``<module>.<Form>.<field>``.
    Model forms are the admin's: their model choices are probed by the admin test above."""
    plain, model_choices = set(), set()
    for form in _project_classes(forms.BaseForm):
        for name, field in form.base_fields.items():
            key = f"{form.__module__}.{form.__name__}.{name}"
            if issubclass(form, forms.BaseModelForm):
                if isinstance(field, forms.ModelChoiceField):
                    model_choices.add(key)
            else:
                plain.add(key)
    return plain, model_choices


def _input_serializers() -> set[type]:
    """Serializers that read input: named by ``FastInput(...)`` or ``...(data=...)`` in the API
    modules, plus any serializer with a writable relation."""
    names = set()
    for module in _project_modules(("api",)):
        source = inspect.getsource(module)
        names |= set(re.findall(r"FastInput\((\w+)", source))
        names |= set(re.findall(r"(\w+Serializer)\(data=", source))
    out = set()
    for cls in _project_classes(serializers.BaseSerializer):
        if cls.__name__ in names:
            out.add(cls)
            continue
        fields = getattr(cls, "_declared_fields", {})
        if any(
            isinstance(f, serializers.RelatedField | serializers.ManyRelatedField)
            and not f.read_only
            for f in fields.values()
        ):
            out.add(cls)
    return out


def _serializer_fields() -> set[str]:
    out = set()
    for cls in _input_serializers():
        for name, field in cls().fields.items():
            if not field.read_only:
                out.add(f"{cls.__module__}.{cls.__name__}.{name}")
    return out


def _declared_inputs() -> set[str]:
    return {i for p in ID_PROBES + ADMIN_PROBES for i in p.inputs} | set(NOT_IDS)


def test_every_query_and_body_key_is_probed_or_declared_not_an_id():
    """Keys views read from ``request.GET``/``request.POST``/a JSON body, fields of every form
    and of every input serializer: each is an IdProbe's input or has a reason in NOT_IDS."""
    plain, _model_choices = _form_fields()
    found = _keys_read_by_views() | plain | _serializer_fields()
    missing = sorted(found - _declared_inputs())
    assert not missing, f"Inputs with neither an IdProbe nor a NOT_IDS reason: {missing}"


def test_no_probe_or_reason_names_an_input_that_does_not_exist():
    plain, _ = _form_fields()
    found = _keys_read_by_views() | plain | _serializer_fields()
    stale = sorted(i for i in _declared_inputs() - found if not i.startswith("admin:"))
    assert not stale, f"IdProbe inputs or NOT_IDS entries for nothing: {stale}"


def test_every_model_choice_field_is_probed():
    """A form field choosing rows of a model is an id, never "not an id"; the admin's model
    forms are probed field by field by test_admin_forms_take_no_other_tenants_ids, so each must
    be the form of a registered admin."""
    plain, model_choices = _form_fields()
    probed = {i for p in ID_PROBES + ADMIN_PROBES for i in p.inputs}
    for form in _project_classes(forms.BaseForm):
        for name, field in form.base_fields.items():
            key = f"{form.__module__}.{form.__name__}.{name}"
            if isinstance(field, forms.ModelChoiceField) and key in plain:
                assert key in probed, f"{key} chooses model rows but has no IdProbe"
    model_forms = {f"{f.__module__}.{f.__name__}": f for f in _project_classes(forms.BaseForm)}
    admin_models = set(admin_site._registry) | {
        inline.model for ma in admin_site._registry.values() for inline in ma.inlines
    }
    for key in model_choices:
        form = model_forms[key.rsplit(".", 1)[0]]
        assert form._meta.model in admin_models, (
            f"{key}: a model form outside the admin (or its inlines) needs an IdProbe"
        )
    assert probed & {k for k in plain if "AssignForm" in k}, "the probes cover model choices"


def test_a_new_form_field_or_query_key_fails_the_meta_test():
    """The meta-tests see a form field added to a project module (here a model choice of the
    training forms) as an undeclared input."""
    import gc

    from tenants.models import Membership

    class NewForm(forms.Form):
        agent = forms.ModelChoiceField(queryset=Membership.objects.none())

    NewForm.__module__ = "training.forms"
    try:
        plain, _ = _form_fields()
        assert "training.forms.NewForm.agent" in plain - _declared_inputs()
    finally:
        del NewForm
        gc.collect()
    plain, _ = _form_fields()
    assert "training.forms.NewForm.agent" not in plain


# --- the helpers catch what they must ---------------------------------------------------------


def test_leak_finder_sees_names_and_foreign_ids_but_not_echoes():
    assert leaks(f"<td>{LEAK}agec5</td>") == [f"{LEAK}agec5"]
    assert leaks(f'{{"id": {FOREIGN_ID_BASE + 7}}}') == [str(FOREIGN_ID_BASE + 7)]
    assert leaks(f"You searched for {LEAK}x", echoed=[f"{LEAK}x"]) == []
    assert leaks("sha 1a2b1000000007ff, at 1767225600") == []


def test_same_answer_check_fails_on_a_difference(world, client_for):
    client = client_for(world.lead)
    value = str(FOREIGN_ID_BASE + 3)
    foreign = client.get("/healthz/")
    missing = client.get("/no-such-page/")
    with pytest.raises(AssertionError):
        assert_same_answer(foreign, missing, value, str(MISSING_INT), "healthz vs 404")
    echo_f = client.get(reverse("training:search"), {"q": f"{LEAK}q"})
    echo_m = client.get(reverse("training:search"), {"q": "absent"})
    assert_same_answer(echo_f, echo_m, f"{LEAK}q", "absent", "the query echoed")
