from scheduling import services
from scheduling.models import ShiftAssignment, WebhookDelivery, WebhookEndpoint
from tenants.models import OutboxEvent
from tenants.outbox import publish
from tests.isolation import Case

from .factories import make_certification, make_skill_group, shift, tomorrow_9


def _group(w):
    return make_skill_group(w.tenant, "iso-group")


def _shift(w):
    group = _group(w)
    make_certification(w.agent, group)
    return shift(w.agent, group, start=tomorrow_9())


def _endpoint(w):
    return services.create_webhook_endpoint(tenant=w.tenant, url="http://127.0.0.1:9/").endpoint


def _event(w):
    return publish(tenant_id=w.tenant.pk, event_type="assignment.cancelled", payload={})


def _delivery(w):
    endpoint = _endpoint(w)
    event = _event(w)
    return WebhookDelivery.objects.create(tenant=w.tenant, endpoint=endpoint, event=event)


CASES = [
    Case(
        "scheduling-api:eligible-agents",
        make=_group,
        kwargs=lambda g: {"code": g.code},
        api=True,
    ),
    Case(
        "scheduling-api:eligibility",
        make=_group,
        kwargs=lambda g: {"code": g.code},
        api=True,
    ),
    Case(
        "scheduling-api:agent-certifications",
        make=lambda w: w.agent,
        kwargs=lambda m: {"employee_id": m.employee_id},
        api=True,
    ),
    Case("scheduling-api:assignment", make=_shift, api=True),
    Case("scheduling:cancel", make=_shift, persona="admin"),
]

MAKERS = {
    ShiftAssignment: _shift,
    WebhookEndpoint: _endpoint,
    WebhookDelivery: _delivery,
    OutboxEvent: _event,
}
GLOBAL_URLS: dict = {}
