"""The training panel of the dashboard and the app's navigation entries."""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext as _

from tenants.mixins import LEAD_ROLES

from . import selectors


def dashboard_context(request) -> dict | None:
    membership = getattr(request, "membership", None)
    if membership is None:
        return None
    assignments = selectors.assignments(membership=membership)
    results = selectors.recent_results(membership=membership)
    open_attempts = selectors.open_attempts(membership=membership)
    if not (assignments or results or open_attempts) and membership.role not in LEAD_ROLES:
        return None
    return {
        "assignments": assignments,
        "overdue": [a for a in assignments if a.is_overdue],
        "results": results,
        "open_attempts": open_attempts,
        "is_lead": membership.role in LEAD_ROLES,
    }


def nav_items(request) -> list[dict]:
    items = [
        {"url": reverse("training:mine"), "label": _("My training")},
        {"url": reverse("training:search"), "label": _("Knowledge")},
    ]
    membership = getattr(request, "membership", None)
    if membership is not None and membership.role in LEAD_ROLES:
        items.append({"url": reverse("training:team"), "label": _("Team training")})
    return items
