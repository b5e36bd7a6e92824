"""Collects every app's isolation declarations (tests/<app>/isolation.py)."""

from importlib import import_module

from django.conf import settings

CASES = []
MAKERS = {}
GLOBAL_URLS = {}
GLOBAL_MODELS = {}
PLATFORM_ROWS = {}  # model -> world -> a row of tenant A, for admins of models without a tenant

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
