"""Reusable tenant-isolation checks.

Each app lists its URLs in ``tests/<app>/isolation.py``:

    CASES = [Case("training:lesson", make=lambda w: make_lesson(w.tenant))]
    MAKERS = {Lesson: lambda w: make_lesson(w.tenant)}      # for the admin pages
    GLOBAL_URLS = {"training:search": "no object id in the URL"}

``Case`` checks, for every HTTP method, that a user (or API key) of tenant B gets exactly the same
response (status and body) for tenant A's object as for an id that does not exist, and that it is
a 404 for the method the URL is meant for.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

from django.apps import apps
from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.test import Client
from django.urls import reverse

METHODS = ("get", "post", "put", "patch", "delete")
MISSING_INT = 2_000_000_000
MISSING_STR = "does-not-exist"
_CSRF = re.compile(rb'name="csrfmiddlewaretoken" value="[^"]+"')

# Requests the isolation checks send as one tenant about another's rows, by family; the session
# prints them (tests/conftest.py) and each test asserts a floor of its own.
REQUESTS: Counter = Counter()


@dataclass
class Case:
    url_name: str
    make: Callable  # world -> tenant-A object
    kwargs: Callable = field(default=lambda obj: {"pk": obj.pk})
    api: bool = False
    persona: str = "admin"  # which persona of tenant B asks: "admin" or "agent"
    methods: tuple[str, ...] = METHODS

    @property
    def id(self) -> str:
        return self.url_name


def missing_kwargs(kwargs: dict) -> dict:
    return {k: MISSING_INT if isinstance(v, int) else MISSING_STR for k, v in kwargs.items()}


_COUNTDOWN = re.compile(rb'(data-seconds-left="|id="countdown-value">)\d+')


def normalise(body: bytes) -> bytes:
    # CSRF tokens are masked differently on every render, and a quiz's countdown moves between
    # two requests; nothing else may differ.
    body = _COUNTDOWN.sub(rb"\1<seconds>", body)
    return _CSRF.sub(b'name="csrfmiddlewaretoken" value=""', body)


def foreign_client(world, case: Case, api_client_for) -> Client:
    if case.api:
        return api_client_for(world.other_tenant)
    membership = world.other_admin if case.persona == "admin" else world.other_agent_b
    client = Client()
    client.force_login(membership.user)
    session = client.session
    session["tenant_id"] = membership.tenant_id
    session.save()
    return client


def assert_isolated(
    client,
    url_foreign: str,
    url_missing: str,
    methods=METHODS,
    allowed=(404, 405),
    need_404=True,
    family: str = "ids in paths",
) -> None:
    seen_404 = False
    for method in methods:
        call = getattr(client, method)
        kwargs = {"content_type": "application/json", "data": "{}"} if method != "get" else {}
        foreign = call(url_foreign, **kwargs)
        missing = call(url_missing, **kwargs)
        REQUESTS[family] += 2
        assert foreign.status_code == missing.status_code, (
            f"{method.upper()} {url_foreign}: {foreign.status_code} for another tenant's object "
            f"but {missing.status_code} for a missing one"
        )
        # The page may echo the requested path (e.g. the language switcher's "next"); nothing else.
        foreign_body = normalise(foreign.content).replace(
            url_foreign.encode(), url_missing.encode()
        )
        assert foreign_body == normalise(missing.content), (
            f"{method.upper()} {url_foreign}: body differs from the missing-object body"
        )
        assert foreign.status_code in allowed, (
            f"{method.upper()} {url_foreign} answered {foreign.status_code} to another tenant"
        )
        seen_404 |= foreign.status_code == 404
    assert seen_404 or not need_404, f"{url_foreign} never answered 404"


def check_case(case: Case, world, api_client_for) -> None:
    obj = case.make(world)
    kwargs = case.kwargs(obj)
    url_foreign = reverse(case.url_name, kwargs=kwargs)
    url_missing = reverse(case.url_name, kwargs=missing_kwargs(kwargs))
    client = foreign_client(world, case, api_client_for)
    assert_isolated(client, url_foreign, url_missing, case.methods)


def admin_urls(model, pk) -> list[tuple[str, str]]:
    opts = model._meta
    out = []
    for action in ("change", "delete", "history"):
        name = f"admin:{opts.app_label}_{opts.model_name}_{action}"
        out.append(
            (
                reverse(name, kwargs={"object_id": pk}),
                reverse(name, kwargs={"object_id": MISSING_INT}),
            )
        )
    return out


# A string no page contains unless it shows a row renamed by ``give_distinctive_names``.
LEAK = "Zqleak"


NAMED_FIELDS = ("name", "title", "code", "employee_id", "external_id")


def give_distinctive_names(tenant) -> None:
    """Every named row of ``tenant`` (name, title, code, employee id, external id; its users'
    names and addresses) gets a value containing LEAK, so that a page of another tenant showing
    any of them is caught by a plain search."""
    from tenants.models import TenantScopedModel, User

    for model in apps.get_models():
        if not issubclass(model, TenantScopedModel):
            continue
        for name in NAMED_FIELDS:
            try:
                field = model._meta.get_field(name)
            except FieldDoesNotExist:
                continue
            if not isinstance(field, models.CharField):
                continue
            rows = model._default_manager.filter(tenant=tenant)
            for pk in rows.values_list("pk", flat=True):
                value = f"{LEAK}{model._meta.model_name[:3]}{name[0]}{pk}"[: field.max_length]
                rows.filter(pk=pk).update(**{name: value})
    for user in User.objects.filter(memberships__tenant=tenant).distinct():
        User.objects.filter(pk=user.pk).update(
            username=f"{LEAK}u{user.pk}",
            display_name=f"{LEAK}d{user.pk}",
            first_name=f"{LEAK}f{user.pk}",
            last_name=f"{LEAK}l{user.pk}",
            email=f"{LEAK}m{user.pk}@example.com",
        )


# --- lists, exports and ids outside the path ----------------------------------------------------

PLACEHOLDER = b"<value>"


def distinctive(value: str) -> bool:
    """Whether ``value`` can be swapped in a body without touching anything else: one of the
    foreign tenant's renamed values or ids (tests/isolation_data.py)."""
    from .isolation_data import FOREIGN_ID

    return LEAK in value or FOREIGN_ID.fullmatch(value) is not None


def leaks(body: bytes | str, echoed=()) -> list[str]:
    """The foreign tenant's values in ``body`` (renamed values and ids), the values the request
    itself sent (``echoed``, a search box showing its query) left out."""
    from .isolation_data import FOREIGN_ID

    text = body.decode(errors="replace") if isinstance(body, bytes) else body
    for value in echoed:
        if value:
            text = text.replace(str(value), "")
    found = re.findall(rf"{LEAK}\w*", text) + FOREIGN_ID.findall(text)
    return sorted(set(found))


def _swap(content: bytes, value: str) -> bytes:
    content = normalise(content)
    return content.replace(value.encode(), PLACEHOLDER) if distinctive(value) else content


def _swap_missing(content: bytes, value: str, foreign_value: str) -> bytes:
    content = normalise(content)
    return content.replace(value.encode(), PLACEHOLDER) if distinctive(foreign_value) else content


def assert_same_answer(foreign, missing, foreign_value: str, missing_value: str, what: str):
    """Same status, same body and same redirect target, each modulo the value itself."""
    assert foreign.status_code == missing.status_code, (
        f"{what}: {foreign.status_code} for another tenant's {foreign_value!r} but "
        f"{missing.status_code} for a missing one"
    )
    body_f = _swap(foreign.content, foreign_value)
    body_m = _swap_missing(missing.content, missing_value, foreign_value)
    assert body_f == body_m, f"{what}: body differs from the missing-value body"
    where_f = foreign.headers.get("Location", "")
    where_m = missing.headers.get("Location", "")
    if distinctive(foreign_value):
        where_f = where_f.replace(foreign_value, "<value>")
        where_m = where_m.replace(missing_value, "<value>")
    assert where_f == where_m, f"{what}: redirects to {where_f} but {where_m} when missing"
    assert foreign.status_code < 500, f"{what} answered {foreign.status_code}"
    found = leaks(body_f)
    assert not found, f"{what} shows another tenant's values: {found}"


@dataclass
class IdProbe:
    """One place that takes an id (or an employee id, a code) outside the path: the request
    with the foreign tenant's value must answer like the same request with a missing value,
    and write nothing.

    ``inputs`` names what it covers, as the meta-tests find them: ``"<module>:<key>"`` for a
    key a view reads from the query string or body, ``"<module>.<Class>.<field>"`` for a form
    or serializer field."""

    id: str
    url_name: str
    inputs: tuple[str, ...]
    foreign: Callable  # ctx -> the foreign tenant's value (str)
    missing: str
    request: Callable  # (ctx, value) -> {"query": {...}} | {"data": {...}} | {"json": ...}
    method: str = "post"
    clients: tuple[str, ...] = ("lead",)
    url_kwargs: Callable = field(default=lambda ctx: {})
    follow: bool = True  # also compare the page a redirect leads to (its messages)


def send(client, method: str, url: str, request: dict):
    if "json" in request:
        import json

        return getattr(client, method)(
            url, data=json.dumps(request["json"]), content_type="application/json"
        )
    if method == "get":
        return client.get(url, request.get("query", {}))
    query = request.get("query")
    if query:
        from urllib.parse import urlencode

        url = f"{url}?{urlencode(query, doseq=True)}"
    return getattr(client, method)(url, request.get("data", {}))
