"""Collects every app's isolation declarations (tests/<app>/isolation.py)."""

from importlib import import_module

from django.conf import settings

CASES = []
MAKERS = {}
GLOBAL_URLS = {}
GLOBAL_MODELS = {}
PLATFORM_ROWS = {}  # model -> world -> a row of tenant A, for admins of models without a tenant
LIST_URLS = {}  # url name -> queries: every URL without an object id, fetched by every persona
OWN_ROWS_SHOWN = {}  # url name -> own tenant data -> a value some persona's answer must show
ID_PROBES = []  # ids, employee ids and codes taken outside the path
NOT_IDS = {}  # query/body keys and form/serializer fields that are not ids -> why

for _app in settings.PROJECT_APPS:
    try:
        _module = import_module(f"tests.{_app}.isolation")
    except ModuleNotFoundError:
        continue
    CASES.extend(getattr(_module, "CASES", []))
    MAKERS.update(getattr(_module, "MAKERS", {}))
    GLOBAL_URLS.update(getattr(_module, "GLOBAL_URLS", {}))
    GLOBAL_MODELS.update(getattr(_module, "GLOBAL_MODELS", {}))
    PLATFORM_ROWS.update(getattr(_module, "PLATFORM_ROWS", {}))
    LIST_URLS.update(getattr(_module, "LIST_URLS", {}))
    OWN_ROWS_SHOWN.update(getattr(_module, "OWN_ROWS_SHOWN", {}))
    ID_PROBES.extend(getattr(_module, "ID_PROBES", []))
    NOT_IDS.update(getattr(_module, "NOT_IDS", {}))
