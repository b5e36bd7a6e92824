from django.apps import AppConfig


class SkillgateConfig(AppConfig):
    """The shell on top: settings, URLs, the dashboard and the Celery app."""

    name = "skillgate"
