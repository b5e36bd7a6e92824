from django.apps import AppConfig


class CoreConfig(AppConfig):
    """The bottom layer: errors and their HTTP mapping, JSON bodies, hand-offs between apps and
    small database helpers. It knows no domain and imports no other project app."""

    name = "core"

    def ready(self):
        from django.db.models.signals import post_migrate

        from .db import lookups  # noqa: F401  (registers the __any_of lookup on every field)
        from .db.roles import grant_after_migrate

        post_migrate.connect(grant_after_migrate, dispatch_uid="core.grant_runtime_privileges")
