"""Texts of the agent's notifications and emails, rendered in the reader's language and time
zone: in-app notifications store kind + parameters (times as RFC 3339 instants) and are rendered
when shown, in the viewer's zone; emails use the tenant's default language and the recipient's
zone (their own, else the tenant's) when they are queued."""

from __future__ import annotations

from datetime import datetime, tzinfo

from django.utils import timezone
from django.utils.formats import date_format
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
TIME_PARAMS = ("until", "grace", "due")


def local_when(value: str, tz: tzinfo | None = None) -> str:
    """A stored time parameter as the reader reads it: an instant in ``tz`` (the active zone
    by default) in the active language's format; a bare date (notifications written before
    times were stored as instants) as a date; anything else unchanged."""
    if not value:
        return ""
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return value
    if moment.tzinfo is None:
        return date_format(moment.date(), "DATE_FORMAT")
    return date_format(moment.astimezone(tz or timezone.get_current_timezone()), "DATETIME_FORMAT")


class NotificationTexts:
    """Renders (subject, body) in the language active when it is created; each kind's
    template is translated on first use and kept, so use one instance per language."""

    def __init__(self) -> None:
        self._subject = gettext(SUBJECT)
        self._bodies: dict[str, str] = {}

    def _body(self, kind: str) -> str:
        template = self._bodies.get(kind)
        if template is None:
            template = self._bodies[kind] = gettext(BODIES[kind])
        return template

    def shows_time(self, kind: str) -> bool:
        """Whether the text of ``kind`` shows a time (and so depends on the reader's zone)."""
        template = self._body(kind)
        return any(f"%({name})s" in template for name in TIME_PARAMS)

    def render(self, kind: str, params: dict, tz: tzinfo | None = None) -> tuple[str, str]:
        """(subject, body) with times in ``tz`` (default: the active time zone)."""
        template = self._body(kind)
        values = {"group": "", "until": "", "grace": "", "reason": "", "due": "", **params}
        for name in TIME_PARAMS:
            # Only the times a text shows are formatted: a sweep writing thousands of
            # "expired" notices formats none.
            if f"%({name})s" in template:
                values[name] = local_when(values[name], tz)
        return self._subject % {"group": values["group"]}, template % values


def notification_text(kind: str, params: dict) -> tuple[str, str]:
    """(subject, body) of one notification kind, in the active language and time zone."""
    return NotificationTexts().render(kind, params)
