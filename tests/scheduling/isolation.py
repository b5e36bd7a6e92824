from scheduling.models import ShiftAssignment
from tests.isolation import Case

from .factories import make_certification, make_skill_group, shift, tomorrow_9


def _group(w):
    return make_skill_group(w.tenant, "iso-group")


def _shift(w):
    group = _group(w)
    make_certification(w.agent, group)
    return shift(w.agent, group, start=tomorrow_9())


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
}
GLOBAL_URLS: dict = {}
