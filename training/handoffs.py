"""Work that training hands to the apps above it after a commit (see core.handoffs)."""

from core.handoffs import declare

# An agent finished something that may complete a skill group's requirements.
AGENT_PROGRESSED = declare("training.agent_progressed", "tenant_id", "membership_id")
# A published curriculum version requires holders of the skill groups using it to recertify.
RECERTIFICATION_REQUIRED = declare(
    "training.recertification_required", "tenant_id", "curriculum_id"
)
