from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CertificationConfig(AppConfig):
    name = "certification"
    verbose_name = _("Certification")

    def ready(self):
        from core import handoffs

        from . import event_types, tasks  # noqa: F401  (event_types declares what we publish)

        handoffs.connect("training.agent_progressed", tasks.evaluate_agent)
        handoffs.connect("training.recertification_required", tasks.start_recertification)
