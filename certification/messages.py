"""Texts of the agent's notifications and emails, rendered in the reader's language: in-app
notifications store kind + parameters and are rendered when shown; emails use the tenant's
default language when they are queued."""

from __future__ import annotations

from django.utils.translation import gettext, gettext_noop

# Message ids, translated when used: a sweep that writes 10,000 notifications of one kind
# translates that kind once (``NotificationTexts``), not every kind for every row.
BODIES = {
    "pending": gettext_noop("Your certification for %(group)s is waiting for approval."),
    "activated": gettext_noop("You are now certified for %(group)s until %(until)s."),
    "rejected": gettext_noop("Your certification for %(group)s was rejected: %(reason)s"),
    "revoked": gettext_noop("Your certification for %(group)s was revoked: %(reason)s"),
    "expired": gettext_noop("Your certification for %(group)s has expired."),
    # Sent when nothing could be assigned (no curriculum with a quiz to pass again).
    "reminder": gettext_noop("Your certification for %(group)s expires on %(until)s."),
    "reminder_training": gettext_noop(
        "Your certification for %(group)s expires on %(until)s. Recertification training "
        "has been assigned to you, due %(due)s."
    ),
    "recertify": gettext_noop(
        "The training for %(group)s has changed. Recertify by %(grace)s to keep your certification."
    ),
    "renewed": gettext_noop("Your certification for %(group)s was renewed until %(until)s."),
}
SUBJECT = gettext_noop("Certification update: %(group)s")


class NotificationTexts:
    """Renders (subject, body) in the language active when it is created; each kind's
    template is translated on first use and kept, so use one instance per language."""

    def __init__(self) -> None:
        self._subject = gettext(SUBJECT)
        self._bodies: dict[str, str] = {}

    def render(self, kind: str, params: dict) -> tuple[str, str]:
        template = self._bodies.get(kind)
        if template is None:
            template = self._bodies[kind] = gettext(BODIES[kind])
        values = {"group": "", "until": "", "grace": "", "reason": "", "due": "", **params}
        return self._subject % {"group": values["group"]}, template % values


def notification_text(kind: str, params: dict) -> tuple[str, str]:
    """(subject, body) of one notification kind, in the active language."""
    return NotificationTexts().render(kind, params)
