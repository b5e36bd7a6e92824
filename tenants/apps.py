from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TenantsConfig(AppConfig):
    name = "tenants"
    verbose_name = _("Tenants and people")

    def ready(self):
        from . import checks, schema  # noqa: F401  (register the checks and the API key scheme)
