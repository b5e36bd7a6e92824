"""The project's apps contribute pieces by module name (``<app>.dashboard``, ``<app>.demo``,
``<app>.api_urls``): the shell and the tenants app find them here, in the order of
``settings.PROJECT_APPS`` (bottom layer first), without naming the apps above them."""

from __future__ import annotations

import functools
from importlib import import_module
from types import ModuleType

from django.conf import settings
from django.utils.module_loading import module_has_submodule


@functools.cache
def app_modules(submodule: str) -> tuple[tuple[str, ModuleType], ...]:
    found = []
    for app in settings.PROJECT_APPS:
        package = import_module(app)
        if module_has_submodule(package, submodule):
            found.append((app, import_module(f"{app}.{submodule}")))
    return tuple(found)
