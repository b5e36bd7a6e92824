from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CertificationConfig(AppConfig):
    name = "certification"
    verbose_name = _("Certification")

    def ready(self):
        from core import handoffs

        # event_types declares what we publish, checks registers the deployment checks.
        from . import checks, event_types, tasks  # noqa: F401

        handoffs.connect("training.agent_progressed", tasks.evaluate_agent)
        handoffs.connect("training.recertification_required", tasks.start_recertification)
