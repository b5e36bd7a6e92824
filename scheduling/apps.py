from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SchedulingConfig(AppConfig):
    name = "scheduling"
    verbose_name = _("Scheduling")

    def ready(self):
        # Register the tasks in every process (web too), so skillgate.tasks.enqueue() and
        # tenants.outbox can find "scheduling.tasks.dispatch_outbox" by name; Celery's
        # autodiscovery only runs inside a worker.
        from . import checks, tasks  # noqa: F401
