from datetime import timedelta

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from tenants.mixins import LEAD_ROLES

from .models import ShiftAssignment


def _is_lead(request) -> bool:
    membership = getattr(request, "membership", None)
    return membership is not None and membership.role in LEAD_ROLES


def dashboard_context(request):
    if not _is_lead(request):
        return None
    now = timezone.now()
    shifts = ShiftAssignment.objects.for_tenant(request.tenant)
    return {
        "upcoming": shifts.filter(
            status=ShiftAssignment.Status.SCHEDULED,
            starts_at__gte=now,
            starts_at__lt=now + timedelta(days=7),
        ).count(),
        "cancelled": shifts.filter(
            status=ShiftAssignment.Status.CANCELLED,
            cancelled_at__gte=now - timedelta(days=7),
            cancel_reason__startswith="Certification",
        ).count(),
    }


def nav_items(request):
    if not _is_lead(request):
        return []
    return [{"url": reverse("scheduling:roster"), "label": _("Roster")}]
