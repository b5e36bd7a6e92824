from django.apps import AppConfig


class SkillgateConfig(AppConfig):
    name = "skillgate"

    def ready(self):
        from . import lookups  # noqa: F401  (registers the __any_of lookup on every field)
