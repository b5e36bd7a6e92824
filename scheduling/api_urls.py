from django.urls import path

from . import api

app_name = "scheduling-api"

urlpatterns = [
    path("skill-groups/", api.SkillGroupList.as_view(), name="skill-groups"),
    path(
        "skill-groups/<slug:code>/eligible-agents/",
        api.EligibleAgents.as_view(),
        name="eligible-agents",
    ),
    path(
        "skill-groups/<slug:code>/eligibility/",
        api.EligibilityCheck.as_view(),
        name="eligibility",
    ),
    path(
        "agents/<str:employee_id>/certifications/",
        api.AgentCertifications.as_view(),
        name="agent-certifications",
    ),
    path("assignments/", api.Assignments.as_view(), name="assignments"),
    path("assignments/<int:pk>/", api.AssignmentDetail.as_view(), name="assignment"),
]
