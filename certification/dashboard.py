"""The certification panel of the dashboard and the navigation entries."""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext as _

from tenants.mixins import LEAD_ROLES
from tenants.models import Role

from .models import Certification, Notification
from .selectors import approval_queue


def dashboard_context(request) -> dict | None:
    tenant, me = request.tenant, request.membership
    if me is None:
        return None
    panel: dict = {"mine": None, "queue": None}
    if me.role == Role.AGENT:
        panel["mine"] = True
        panel["active"] = (
            Certification.objects.for_tenant(tenant)
            .filter(membership=me, status=Certification.Status.ACTIVE)
            .count()
        )
        panel["unread"] = (
            Notification.objects.for_tenant(tenant)
            .filter(membership=me, read_at__isnull=True)
            .count()
        )
    if me.role in LEAD_ROLES:
        panel["queue"] = approval_queue(tenant, me).count()
    return panel


def nav_items(request) -> list[dict]:
    me = request.membership
    items = [{"url": reverse("certification:mine"), "label": _("My certifications")}]
    if me is not None and me.role in LEAD_ROLES:
        items += [
            {"url": reverse("certification:approvals"), "label": _("Approvals")},
            {"url": reverse("certification:matrix"), "label": _("Skills matrix")},
            {"url": reverse("certification:coverage"), "label": _("Coverage")},
            {"url": reverse("certification:audit"), "label": _("Audit export")},
        ]
    return items
