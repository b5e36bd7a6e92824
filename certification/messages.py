"""Texts of the agent's notifications and emails, rendered in the reader's language: in-app
notifications store kind + parameters and are rendered when shown; emails use the tenant's
default language when they are queued."""

from __future__ import annotations

from django.utils.translation import gettext as _


def notification_text(kind: str, params: dict) -> tuple[str, str]:
    """(subject, body) of one notification kind."""
    texts = {
        "pending": _("Your certification for %(group)s is waiting for approval."),
        "activated": _("You are now certified for %(group)s until %(until)s."),
        "rejected": _("Your certification for %(group)s was rejected: %(reason)s"),
        "revoked": _("Your certification for %(group)s was revoked: %(reason)s"),
        "expired": _("Your certification for %(group)s has expired."),
        "reminder": _(
            "Your certification for %(group)s expires on %(until)s. Recertification training "
            "has been assigned to you."
        ),
        "recertify": _(
            "The training for %(group)s has changed. Recertify by %(grace)s to keep your "
            "certification."
        ),
        "renewed": _("Your certification for %(group)s was renewed until %(until)s."),
    }
    values = {"group": "", "until": "", "grace": "", "reason": "", **params}
    body = texts[kind] % values
    subject = _("Certification update: %(group)s") % {"group": values["group"]}
    return subject, body
