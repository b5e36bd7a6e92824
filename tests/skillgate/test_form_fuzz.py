"""Issue 16, "no input gets a 500": a Hypothesis fuzz of the browser surface (every named page
outside /api/, and the admin as a tenant admin sees it).

Nothing here lists pages or fields by hand. The pages are the URL resolver's named patterns
(object ids from the tenant-isolation registry, which a meta-test keeps complete); the fields
of each page are found three ways: the ``<form>`` elements and links of the pages each persona
is shown, every key a view reads from ``request.GET`` / ``request.POST`` (recorded while each
page is probed), and the fields of the forms bound to those in the views' template context.
A new page or field is fuzzed without editing this file.

Each request gets hostile values in some fields (NUL bytes, control characters, lone
surrogates, odd whitespace, huge strings, numbers past bigint, dates in year 1, 9999 and
beyond, wrong types, repeated keys), keeps valid values in others, or leaves fields out. It
must never answer 500; a 4xx must change no row of any table of the project; a 2xx/3xx must
leave the database consistent (every deferred constraint holds). Each request runs in a
savepoint rolled back afterwards, so every example starts from the same data.

Bounded and derandomized in CI; ``SKILLGATE_FUZZ=nightly`` runs many more examples with a
random seed (tests/fuzzing.py). Each test counts its requests and asserts a floor.
"""

from __future__ import annotations

import json
from collections import Counter
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from html.parser import HTMLParser
from urllib.parse import parse_qsl, quote, urlencode, urljoin, urlsplit

import pytest
from django.apps import apps
from django.conf import settings as django_settings
from django.contrib.admin.views.main import (
    ALL_VAR,
    IS_FACETS_VAR,
    ORDER_VAR,
    PAGE_VAR,
    SEARCH_VAR,
    ChangeList,
)
from django.contrib.auth.tokens import default_token_generator
from django.contrib.contenttypes.models import ContentType
from django.db import connection, transaction
from django.forms import BaseForm
from django.http import QueryDict
from django.test import Client
from django.test.utils import ContextList
from django.urls import URLPattern, URLResolver, get_resolver, resolve, reverse
from django.urls.exceptions import Resolver404
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from hypothesis import given, note
from hypothesis import strategies as st

from core import jsonbody
from tenants.admin_site import admin_site
from tenants.models import User
from tests import fuzzing
from tests.certification.factories import begin_quiz, certify, make_curriculum
from tests.isolation_registry import CASES, MAKERS, PLATFORM_ROWS
from tests.scheduling.factories import make_certification, make_skill_group, shift, tomorrow_9

pytestmark = pytest.mark.django_db

# --- hostile values ---------------------------------------------------------------------------

ODD_WHITESPACE = "\u00a0\u1680\u2000\u2028\u2029\u202f\u205f\u3000\ufeff\u200b\u200e\u202e\x85"
EDGE_NUMBERS = [
    "-1",
    "0",
    "2147483648",
    str(2**63 - 1),
    str(2**63),
    str(-(2**63) - 1),
    str(10**30),
    f"-{10**30}",
    "1e309",
    "-1e309",
    "NaN",
    "inf",
    "1.5",
    "0x10",
    "1_000",
    "\uff11\uff12",  # fullwidth digits: isdigit() and int() accept them
    "\u00b2",  # superscript two: isdigit() accepts it, int() does not
    "\u0663",  # Arabic-Indic three
    " 1 ",
]
EDGE_DATES = [
    "0001-01-01",
    "9999-12-31",
    "10000-01-01",
    "0000-00-00",
    "0000-01-01",
    "2026-02-30",
    "2026-13-01",
    "1899-12-31",
    "3000-01-01",
    "-0001-01-01",
    "+10000-01-01",
    "2026-W02",
    "20260107",
    "1e30",
]
EDGE_TIMES = ["24:00", "23:59:60", "-01:00", "99:99", "09:00:00.999999999", "9", "9pm"]
EDGE_DATETIMES = [
    "9999-12-31T23:59",
    "0001-01-01T00:00",
    "2026-01-07T09:00+99:00",
    "2026-01-07T09:00Z",
    "10000-01-01T00:00",
]
WRONG_TYPES = [
    "",
    " ",
    "[]",
    "{}",
    "null",
    "true",
    "None",
    "[object Object]",
    "%00",
    "../../../etc/passwd",
    "<script>alert(1)</script>",
    "' OR 1=1 --",
    "a\r\nSet-Cookie: x=1",
]
HUGE_SIZES = [300, 4_000, 70_000]

NUL = st.text(max_size=12).map(lambda s: f"{s}\x00{s}")
HUGE = st.sampled_from(HUGE_SIZES).map(lambda n: "\u6c49" * n)  # three UTF-8 bytes each
# Without NUL and huge values, which stop a request before any view (the NUL middleware, the
# body size limit): drawn for most fields so that most requests reach the forms.
ODD = st.one_of(
    st.sampled_from(EDGE_NUMBERS + EDGE_DATES + EDGE_TIMES + EDGE_DATETIMES + WRONG_TYPES),
    st.integers(min_value=-(10**30), max_value=10**30).map(str),
    st.dates().map(date.isoformat),
    st.datetimes().map(lambda d: d.isoformat(timespec="minutes")),
    st.text(st.characters(categories=["Cs"]), min_size=1, max_size=3),  # lone surrogates
    st.text(
        st.sampled_from(ODD_WHITESPACE) | st.characters(min_codepoint=1, max_codepoint=0x1F),
        min_size=1,
        max_size=6,
    ),
    st.text(st.characters(exclude_characters="\x00"), max_size=30),
)
# Values of a JSON body: wrong types, numbers past any column, NaN, nesting, hostile strings.
JSON_SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**30), max_value=10**30),
    st.floats(),
    # Mapped so that one_of does not flatten the strings' many branches into this one.
    (ODD | NUL).map(str),
)
JSON_VALUES = JSON_SCALARS | st.recursive(
    JSON_SCALARS,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(ODD, inner, max_size=3),
    max_leaves=6,
)
PATH_TEXT = st.one_of(
    st.sampled_from(EDGE_NUMBERS + EDGE_DATES + WRONG_TYPES),
    st.text(max_size=12).map(lambda s: f"{s}\x00"),
    st.text(st.characters(categories=["Cs"]), min_size=1, max_size=2),
    st.text(min_size=1, max_size=20),
    st.just("x" * 5_000),
)
# One value per field kind for the top-up pass: a field the examples never drew a hostile value
# for gets one of these (cycled), so every discovered field is fuzzed at least once.
TOP_UP = ["\x00", str(10**30), "0001-01-01", "9999-12-31", "\u6c49" * 70_000, "\ud800", " "]

LONGER_THAN_ANY_COLUMN = "\u6c49" * 300  # varchar(255) is the longest bounded column here

BASELINE = {
    "date": "2030-01-07",
    "time": "09:00",
    "datetime-local": "2030-01-07T09:00",
    "number": "1",
    "email": "fuzz@example.com",
    "url": "https://hooks.example.com/fuzz",
    "password": "fuzz-Password-1",
}
# csrfmiddlewaretoken is checked by the CSRF middleware, not by a view; _probe is ours.
SKIPPED_FIELDS = {"csrfmiddlewaretoken", "_probe"}
PROBE_ROUNDS = 4
MAX_PATHS = 4  # of one URL name (objects in different states)


# --- targets ----------------------------------------------------------------------------------


@dataclass
class Field:
    name: str
    kind: str = "read"  # an input type, or "read": a key the view read, nothing more known
    values: list[str] = field(default_factory=list)  # options / checkbox values / link values

    def baseline(self) -> str | None:
        """A valid-looking value, or None (leave the field out) for a key known only because
        the view read it: its absence is the one value sure to be valid."""
        if self.values:
            return self.values[0]
        if self.kind == "read":
            return None
        return BASELINE.get(self.kind, "fuzz")


@dataclass
class Target:
    """One URL name and method: its paths (the same page for different objects), fields."""

    method: str  # "get" (fields in the query string) or "post" (form body)
    url_name: str
    paths: list[str] = field(default_factory=list)
    multipart: bool = False
    json: bool = False  # answers JSON: its body is a JSON object, not a form
    fields: dict[str, Field] = field(default_factory=dict)
    probed: bool = False
    answered: bool = False  # a probe was not refused (by role, method or a missing object)

    @property
    def reached(self) -> bool:
        return self.answered or not self.probed  # found in a form: the page offered it

    @property
    def key(self) -> tuple[str, str]:
        return (self.method, self.url_name)

    def add(self, name: str, kind: str = "read", values=()) -> None:
        if not name or name in SKIPPED_FIELDS or "__prefix__" in name:
            return
        current = self.fields.setdefault(name, Field(name, kind))
        # The most specific kind wins: a date input over a key the view only read.
        if current.kind == "read" or (current.kind == "text" and kind != "read"):
            current.kind = kind
        for value in values:
            if value not in current.values and len(current.values) < 20:
                current.values.append(value)


class FormsAndLinks(HTMLParser):
    """The forms of a page (action, method, enctype, fields with their kinds and values) and
    its same-site links that carry a query string."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.forms: list[dict] = []
        self.links: list[str] = []
        self._form: dict | None = None
        self._select: str | None = None

    def handle_starttag(self, tag, attrs):
        a = {k: (v or "") for k, v in attrs}
        if tag == "form":
            self._form = {
                "action": a.get("action", ""),
                "method": (a.get("method") or "get").lower(),
                "multipart": "multipart" in a.get("enctype", ""),
                "fields": [],
            }
            self.forms.append(self._form)
        elif tag == "a" and "?" in a.get("href", ""):
            self.links.append(a["href"])
        elif self._form is None:
            return
        elif tag in ("input", "button") and a.get("name"):
            kind = a.get("type", "text" if tag == "input" else "submit").lower()
            self._form["fields"].append((a["name"], kind, [a["value"]] if "value" in a else []))
        elif tag == "textarea" and a.get("name"):
            self._form["fields"].append((a["name"], "textarea", []))
        elif tag == "select" and a.get("name"):
            self._select = a["name"]
            self._form["fields"].append((a["name"], "select", []))
        elif tag == "option" and self._select:
            self._form["fields"].append((self._select, "select", [a.get("value", "")]))

    def handle_endtag(self, tag):
        if tag == "form":
            self._form = None
        elif tag == "select":
            self._select = None


class RecordingQueryDict(QueryDict):
    """request.GET / request.POST that remembers every key a view (or its forms) reads."""

    def __init__(self, original=None, reads: set | None = None, **kwargs):
        self.reads = set() if reads is None else reads
        if not isinstance(original, QueryDict):  # QueryDict.copy() builds one this way
            super().__init__(original, **kwargs)
            return
        super().__init__(mutable=True)
        for key, values in original.lists():
            self.setlist(key, values)
        self._mutable = False

    def __getitem__(self, key):
        self.reads.add(key)
        return super().__getitem__(key)

    def get(self, key, default=None):
        self.reads.add(key)
        return super().get(key, default)

    def getlist(self, key, default=None):
        self.reads.add(key)
        return super().getlist(key, default)

    def __contains__(self, key):
        self.reads.add(key)
        return super().__contains__(key)


class Recorder:
    """Test middleware (last in the chain): wraps request.GET and request.POST while probing."""

    active: dict | None = None  # {"get": set(), "post": set()} during a probe

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        reads = Recorder.active
        if reads is not None:
            request.GET = RecordingQueryDict(request.GET, reads["get"])
            if request.method == "POST":
                request._post = RecordingQueryDict(request.POST, reads["post"])
        return self.get_response(request)


class RecordingJSON(dict):
    """A decoded JSON object body that remembers the keys a view reads from it."""

    def __init__(self, data: dict, reads: set):
        super().__init__(data)
        self.reads = reads

    def __getitem__(self, key):
        self.reads.add(key)
        return super().__getitem__(key)

    def get(self, key, default=None):
        self.reads.add(key)
        return super().get(key, default)

    def __contains__(self, key):
        self.reads.add(key)
        return super().__contains__(key)


@pytest.fixture
def recorder(settings, monkeypatch):
    """Records, while probing, the keys views read from the query string, the form body and a
    JSON body (the browser's JSON endpoints parse theirs with core.jsonbody.loads)."""
    settings.MIDDLEWARE = [*settings.MIDDLEWARE, f"{__name__}.Recorder"]
    parse = jsonbody.loads

    def recording_loads(raw):
        data = parse(raw)
        if Recorder.active is not None and isinstance(data, dict):
            return RecordingJSON(data, Recorder.active["json"])
        return data

    monkeypatch.setattr(jsonbody, "loads", recording_loads)
    yield Recorder
    Recorder.active = None


# --- database checks --------------------------------------------------------------------------


def _tables() -> list[str]:
    project = set(django_settings.PROJECT_APPS)
    return sorted(
        {
            m._meta.db_table
            for m in apps.get_models()
            if (m._meta.app_label in project or m is User) and m._meta.managed and not m._meta.proxy
        }
    )


def row_counts() -> tuple[int, ...]:
    qn = connection.ops.quote_name
    with connection.cursor() as cursor:
        cursor.execute("SELECT " + ", ".join(f"(SELECT count(*) FROM {qn(t)})" for t in TABLES))
        return cursor.fetchone()


TABLES = _tables()


def check_consistent() -> None:
    """Every deferred constraint (foreign keys, composite tenant keys) checked now: a 2xx/3xx
    that left a half-written graph fails here instead of at a commit the test never reaches."""
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute("SET CONSTRAINTS ALL DEFERRED")


@contextmanager
def rolled_back(client: Client):
    """Run one request in a savepoint and undo it: rows, and the client's cookies (a logout or a
    language switch must not change who asks next)."""
    cookies = client.cookies
    client.cookies = type(cookies)()
    client.cookies.update(cookies)
    sid = transaction.savepoint()
    try:
        yield
    finally:
        transaction.savepoint_rollback(sid)
        client.cookies = cookies


# --- requests ---------------------------------------------------------------------------------


def _encode(pairs: list[tuple[str, str]]) -> str:
    # Lone surrogates cannot be UTF-8: sent as the bytes a careless client would send.
    return urlencode(pairs, doseq=False, errors="surrogatepass")


def send(client: Client, method: str, path: str, pairs, target: Target | None = None):
    if method == "post" and target is not None and target.json:
        body = json.dumps(dict(pairs), ensure_ascii=True).encode()
        return client.generic("POST", path, body, "application/json")
    if method == "get":
        query = _encode(pairs)
        return client.get(f"{path}?{query}" if query else path)
    if target is not None and target.multipart:
        # A file input's value is sent as a file: the value is its name and its content.
        files = {n for n, f in target.fields.items() if f.kind == "file"}
        body, content_type = fuzzing.multipart(
            [(k, v) for k, v in pairs if k not in files],
            [(k, *(2 * [v.encode("utf-8", "surrogatepass")])) for k, v in pairs if k in files],
        )
        return client.generic("POST", path, body, content_type)
    return client.generic(
        "POST", path, _encode(pairs).encode("ascii"), "application/x-www-form-urlencoded"
    )


@dataclass
class Tally:
    requests: int = 0
    statuses: Counter = field(default_factory=Counter)
    by_target: dict = field(default_factory=dict)  # "METHOD url-name" -> Counter of statuses
    hostile_fields: set = field(default_factory=set)  # (method, path-pattern, field)
    targets: set = field(default_factory=set)
    url_names: set = field(default_factory=set)
    failures: list = field(default_factory=list)


def checked_request(client, tally: Tally, target: Target, path: str, pairs) -> int:
    """One request in a rolled-back savepoint: never a 500, a 4xx writes nothing, a 2xx/3xx
    leaves every constraint holding. Returns the status."""
    shown = [
        (k, f"{v[:40]!r}… ({len(v)} chars)" if isinstance(v, str) and len(v) >= 80 else v)
        for k, v in pairs
    ]
    where = f"{target.method.upper()} {path} {shown}"
    with rolled_back(client):
        before = row_counts()
        try:
            response = send(client, target.method, path, pairs, target)
        except Exception as exc:  # the test client re-raises what would have been a 500
            raise AssertionError(f"{where} raised {exc!r}") from exc
        tally.requests += 1
        status = response.status_code
        tally.statuses[status // 100 * 100] += 1
        tally.by_target.setdefault(f"{target.method.upper()} {target.url_name}", Counter())[
            status
        ] += 1
        assert status < 500, f"{where} answered {status}"
        if 400 <= status < 500:
            assert row_counts() == before, f"{where} answered {status} but changed rows"
        else:
            try:
                check_consistent()
            except Exception as exc:
                raise AssertionError(f"{where} left the database inconsistent: {exc}") from exc
    return status


@st.composite
def submissions(draw, target: Target):
    """Field/value pairs: each discovered field kept valid, made hostile, repeated or left out,
    sometimes an unexpected field besides; sometimes a hostile argument in the path. One
    request in four may hold a NUL, one in four a huge value (in one field)."""
    families = [ODD]
    if draw(st.integers(0, 3)) == 0:
        families.append(NUL)
    hostile_value = JSON_VALUES if target.json else st.one_of(families)
    huge_field = draw(st.sampled_from([None, None, None, *target.fields]))
    pairs, hostile = [], []
    for name, spec in target.fields.items():
        if name == huge_field:
            pairs.append((name, draw(HUGE)))
            hostile.append(name)
            continue
        how = draw(st.sampled_from(("keep", "hostile", "hostile", "missing", "repeat")))
        valid = spec.baseline()
        if how == "keep" and valid is not None:
            pairs.append((name, valid))
        elif how == "hostile":
            pairs.append((name, draw(hostile_value)))
            hostile.append(name)
        elif how == "repeat":
            pairs += [(name, valid or draw(ODD)), (name, draw(hostile_value))]
            hostile.append(name)
    if draw(st.integers(0, 5)) == 0:
        pairs.append((draw(st.sampled_from(("id", "pk", "page", "next", "x"))), draw(ODD)))
    path = draw(st.sampled_from(target.paths))
    if draw(st.integers(0, 3)) == 0:
        path = hostile_path(path, draw)
    return path, pairs, hostile


def hostile_path(path: str, draw) -> str:
    """``path`` with each of its URL arguments replaced by a hostile one of the same kind."""
    for value in resolve(path).kwargs.values():
        if isinstance(value, int):
            new = str(draw(st.integers(min_value=0, max_value=10**30)))
        else:
            new = quote(draw(PATH_TEXT), safe="", errors="surrogatepass")
        path = path.replace(f"/{quote(str(value), safe='')}/", f"/{new}/", 1)
    return path


def valid_pairs(target: Target, but: str | None = None) -> list[tuple[str, str]]:
    return [
        (name, spec.baseline())
        for name, spec in target.fields.items()
        if name != but and spec.baseline() is not None
    ]


def fuzz_target(
    client, tally: Tally, target: Target, *, ci: int, nightly: int, length_pass: bool = False
) -> None:
    tally.targets.add(target.key)
    tally.url_names.add(target.url_name)
    hit: set[str] = set()

    @given(sub=submissions(target))
    def run(sub):
        path, pairs, hostile = sub
        note(f"{target.method.upper()} {path}")
        checked_request(client, tally, target, path, pairs)
        hit.update(hostile)

    try:
        fuzzing.hypothesis_run(run, ci=ci, nightly=nightly)()
    except Exception as exc:
        tally.failures.append(f"{fuzzing.describe()}\n{exc}\n{getattr(exc, '__notes__', '')}")
        return
    # Top-up: every field of the target gets at least one hostile value; with length_pass,
    # every field also gets a value longer than any column (the others valid), which found the
    # login form's unchecked username.
    unhit = sorted(set(target.fields) - hit)
    extra = [(name, TOP_UP[i % len(TOP_UP)]) for i, name in enumerate(unhit)]
    if length_pass and target.reached:
        extra += [(name, LONGER_THAN_ANY_COLUMN) for name in sorted(target.fields)]
    for name, value in extra:
        pairs = [*valid_pairs(target, but=name), (name, value)]
        try:
            checked_request(client, tally, target, target.paths[0], pairs)
        except AssertionError as exc:
            tally.failures.append(str(exc))
        hit.add(name)
    for name in hit:
        tally.hostile_fields.add((target.method, target.url_name, name))


# --- discovery --------------------------------------------------------------------------------


def named_urls(resolver=None, ns="", route=""):
    """(namespaced name, pattern) of every named URL outside /api/, the admin's included."""
    resolver = resolver or get_resolver()
    for entry in resolver.url_patterns:
        here = route + str(entry.pattern)
        if here.startswith("api/"):
            continue  # the API has its own schema-driven fuzz
        if isinstance(entry, URLResolver):
            inner = f"{ns}{entry.namespace}:" if entry.namespace else ns
            yield from named_urls(entry, inner, here)
        elif isinstance(entry, URLPattern) and entry.name:
            yield f"{ns}{entry.name}", entry


def context_values(response):
    contexts = response.context
    if contexts is None:
        return []
    if not isinstance(contexts, ContextList):
        contexts = [contexts]
    values = []
    for context in contexts:
        values += (context.flatten() if hasattr(context, "flatten") else context).values()
    return values


def is_api(path: str) -> bool:
    return path.startswith("/api/")


def url_name_of(path: str) -> str | None:
    try:
        match = resolve(urlsplit(path).path)
    except Resolver404:
        return None
    return match.view_name


class Discovery:
    """Targets of one persona: probes each path with GET and POST (recording what the view
    reads), then reads the forms and links of the pages it was shown."""

    def __init__(self, client: Client, recorder):
        self.client = client
        self.recorder = recorder
        self.targets: dict[tuple[str, str], Target] = {}
        self.pages = 0

    def target(self, method, path, url_name) -> Target:
        target = self.targets.setdefault((method, url_name), Target(method, url_name))
        if path not in target.paths and len(target.paths) < MAX_PATHS:
            target.paths.append(path)
        return target

    def probe(self, url_name: str, path: str) -> None:
        """GET and POST the path plain, then with a dummy field (which binds the forms bound
        only to a non-empty QueryDict), then with every field found so far at a valid value
        until a round finds nothing new: a view reads some keys only once others are valid
        (the roster's eligible agents appear once a window is chosen)."""
        for method in ("get", "post"):
            target = self.target(method, path, url_name)
            for round_ in range(PROBE_ROUNDS):
                known = set(target.fields)
                pairs = valid_pairs(target) + ([("_probe", "1")] if round_ else [])
                reads = {"get": set(), "post": set(), "json": set()}
                self.recorder.active = reads
                with rolled_back(self.client):
                    response = send(self.client, method, path, pairs, target)
                self.recorder.active = None
                self.pages += 1
                if round_ == 0:
                    status = response.status_code
                    to_login = status == 302 and "/login/" in response.get("Location", "")
                    target.probed = True
                    target.answered |= status not in (403, 404, 405) and not to_login
                if method == "post" and response.get("Content-Type", "").startswith(
                    "application/json"
                ):
                    target.json = True  # from the next round on, bodies are JSON objects
                for name in reads[method] | reads["json"]:
                    target.add(name)
                self.read_context(response, target, method)
                if method == "get" and response.status_code == 200:
                    self.read_page(path, response)
                if round_ and set(target.fields) == known:
                    break

    def read_context(self, response, target: Target, method: str) -> None:
        request = response.wsgi_request
        bound_to = request.GET if method == "get" else getattr(request, "_post", None)
        for value in context_values(response):
            if isinstance(value, BaseForm) and value.is_bound and value.data is bound_to:
                for name, form_field in value.fields.items():
                    kind = getattr(form_field.widget, "input_type", None) or "text"
                    choices = [str(c[0]) for c in getattr(form_field, "choices", ())][:20]
                    target.add(value.add_prefix(name), kind, [c for c in choices if c])
            elif isinstance(value, ChangeList) and method == "get":
                # An admin changelist: its own query parameters and each list filter's.
                for name in (SEARCH_VAR, ORDER_VAR, PAGE_VAR, ALL_VAR, IS_FACETS_VAR):
                    target.add(name)
                for spec in value.filter_specs:
                    for name in spec.expected_parameters():
                        target.add(name)

    def read_page(self, path: str, response) -> None:
        if not response.get("Content-Type", "").startswith("text/html"):
            return
        parser = FormsAndLinks()
        parser.feed(response.content.decode("utf-8", "replace"))
        for form in parser.forms:
            action = urlsplit(urljoin(path, form["action"] or path))
            if action.netloc or is_api(action.path):
                continue
            name = url_name_of(action.path)
            if name is None:
                continue
            method = "post" if form["method"] == "post" else "get"
            target = self.target(method, action.path, name)
            target.multipart |= form["multipart"]
            for field_name, kind, values in form["fields"]:
                target.add(field_name, kind, values)
        for href in parser.links:
            link = urlsplit(urljoin(path, href))
            if link.netloc or is_api(link.path) or url_name_of(link.path) is None:
                continue
            target = self.target("get", link.path, url_name_of(link.path))
            for key, value in parse_qsl(link.query, keep_blank_values=True):
                target.add(key, "text", [value])


# --- the data every page shows ----------------------------------------------------------------


@pytest.fixture
def setting(world):
    """Tenant A with something on every page: a skill group with certified agents, one
    certification active and one waiting for approval, a published curriculum, an attempt in
    progress, a shift this week; and one object per isolation case and admin model."""
    group = make_skill_group(world.tenant, "telecom", name="Telecom")
    make_certification(world.agent, group)
    certify(world.other_agent, approve_by=world.lead)
    certify(world.agent)
    curriculum = make_curriculum(world.tenant)
    begin_quiz(world.agent, curriculum.quizzes.first())
    shift(world.agent, group, start=tomorrow_9())
    objects = {}
    for case in CASES:
        if not case.api and case.url_name not in objects:
            obj = case.make(world)
            objects[case.url_name] = case.kwargs(obj)
    # The admin pages reuse a row of tenant A where the pages above made one.
    admin_objects = {
        model: model._default_manager.filter(tenant=world.tenant).first() or make(world)
        for model, make in MAKERS.items()
    }
    admin_objects.update({model: make(world) for model, make in PLATFORM_ROWS.items()})
    user = world.agent.user
    objects["password_reset_confirm"] = {
        "uidb64": urlsafe_base64_encode(force_bytes(user.pk)),
        "token": default_token_generator.make_token(user),
    }
    return {"kwargs": objects, "admin_objects": admin_objects}


def site_paths(setting) -> list[tuple[str, str, dict]]:
    """(url name, path, kwargs) of every named page outside /api/ and /admin/."""
    out = []
    for name, pattern in named_urls():
        if name.startswith("admin:"):
            continue
        kwargs = setting["kwargs"].get(name, {}) if pattern.pattern.regex.groupindex else {}
        missing = set(pattern.pattern.regex.groupindex) - set(kwargs)
        kwargs = {**kwargs, **dict.fromkeys(missing, "x")}
        out.append((name, reverse(name, kwargs=kwargs or None), kwargs))
    return out


def admin_paths(setting) -> list[tuple[str, str, dict]]:
    """(url name, path, kwargs) of every named admin URL: each model admin's (with a row of
    tenant A for those taking an id) and the site's own."""
    objects = setting["admin_objects"]
    by_prefix = {f"{m._meta.app_label}_{m._meta.model_name}_": m for m in admin_site._registry}
    out = []
    for name, pattern in named_urls():
        if not name.startswith("admin:"):
            continue
        short = name.removeprefix("admin:")
        model = next((m for p, m in by_prefix.items() if short.startswith(p)), None)
        model = model or next(iter(objects))
        kwargs = {}
        for arg in pattern.pattern.regex.groupindex:
            if arg == "object_id":
                kwargs[arg] = str(objects[model].pk)
            elif arg == "app_label":
                kwargs[arg] = model._meta.app_label
            elif arg == "content_type_id":
                kwargs[arg] = ContentType.objects.get_for_model(model).pk
            else:
                kwargs[arg] = "x"
        out.append((name, reverse(name, kwargs=kwargs or None), kwargs))
    return out


# --- the tests --------------------------------------------------------------------------------

PERSONAS = ["anonymous", "agent", "lead", "admin"]
# Examples per target: pages a persona may use get more than those refusing it outright.
CI_EXAMPLES, NIGHTLY_EXAMPLES = 4, 60
CI_REFUSED, NIGHTLY_REFUSED = 1, 15


def run_persona(client, recorder, paths, *, length_pass: bool) -> tuple[Tally, Discovery]:
    discovery = Discovery(client, recorder)
    for url_name, path, kwargs in paths:
        discovery.probe(url_name, path)
    tally = Tally()
    for target in discovery.targets.values():
        if target.reached:
            examples = {"ci": CI_EXAMPLES, "nightly": NIGHTLY_EXAMPLES}
        else:
            examples = {"ci": CI_REFUSED, "nightly": NIGHTLY_REFUSED}
        fuzz_target(client, tally, target, length_pass=length_pass, **examples)
    return tally, discovery


def report(title: str, tally: Tally, discovery: Discovery, artifacts_dir) -> None:
    figures = {
        "mode": fuzzing.MODE,
        "seed": fuzzing.SEED,
        "url_names": len(tally.url_names),
        "targets": len(tally.targets),
        "fields": len(tally.hostile_fields),
        "requests": tally.requests,
        "pages_probed": discovery.pages,
        "statuses": {str(k): v for k, v in sorted(tally.statuses.items())},
        "failures": len(tally.failures),
        "by_target": {k: dict(v) for k, v in sorted(tally.by_target.items())},
        "covered": {
            f"{t.method.upper()} {t.url_name}": sorted(t.fields) for t in discovery.targets.values()
        },
    }
    (artifacts_dir / f"form-fuzz-{title}.json").write_text(json.dumps(figures, indent=2))
    print(title, {k: v for k, v in figures.items() if k not in ("covered", "by_target")})


# What the CI run sends at least (derandomized: the same figures on every run of the same
# code); a fuzz that silently stopped reaching pages or fields fails here.
REQUEST_FLOORS = {"anonymous": 100, "agent": 150, "lead": 200, "admin": 200, "admin-site": 600}


def assert_floors(tally: Tally, discovery: Discovery, url_names: set[str], floor: int) -> None:
    assert not tally.failures, "\n\n".join(tally.failures)
    assert url_names <= tally.url_names, f"named URLs never fuzzed: {url_names - tally.url_names}"
    fields = {(t.method, t.url_name, f) for t in discovery.targets.values() for f in t.fields}
    assert fields == tally.hostile_fields, f"fields never fuzzed: {fields - tally.hostile_fields}"
    if not fuzzing.NIGHTLY or floor:
        assert tally.requests >= floor, tally.requests
    assert tally.statuses[200] and tally.statuses[400], tally.statuses


@pytest.mark.parametrize("persona", PERSONAS)
def test_browser_pages_never_answer_500_nor_write_on_refusal(
    persona, world, setting, client_for, recorder, artifacts_dir
):
    client = Client() if persona == "anonymous" else client_for(getattr(world, persona))
    paths = site_paths(setting)
    tally, discovery = run_persona(client, recorder, paths, length_pass=True)
    report(persona, tally, discovery, artifacts_dir)
    assert_floors(tally, discovery, {name for name, _p, _k in paths}, REQUEST_FLOORS[persona])


def test_admin_pages_never_answer_500_nor_write_on_refusal(
    world, setting, client_for, recorder, artifacts_dir
):
    """The admin as a tenant admin sees it: every model's changelist (its filters, search,
    ordering, actions), add, change, delete and history pages, and the site's own pages."""
    paths = admin_paths(setting)
    # No length pass here: the admin's forms take their limits from the models' columns, and
    # its 800-odd fields would double the run.
    tally, discovery = run_persona(client_for(world.admin), recorder, paths, length_pass=False)
    report("admin-site", tally, discovery, artifacts_dir)
    assert_floors(tally, discovery, {name for name, _p, _k in paths}, REQUEST_FLOORS["admin-site"])
