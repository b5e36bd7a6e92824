"""Deployment checks of certification settings (``manage.py check --deploy``)."""

from __future__ import annotations

from django.conf import settings
from django.core.checks import Tags, Warning, register

# As long as Django's own minimum for SECRET_KEY: a key an attacker could guess would let
# whoever writes to the database forge the event chain.
MIN_KEY_LENGTH = 50


@register(Tags.security, deploy=True)
def audit_chain_key(app_configs, **kwargs):
    key = settings.AUDIT_CHAIN_KEY
    if len(key) < MIN_KEY_LENGTH or key == settings.SECRET_KEY:
        return [
            Warning(
                f"AUDIT_CHAIN_KEY is shorter than {MIN_KEY_LENGTH} characters or equal to "
                "SECRET_KEY: the certification audit trail is only as strong as this key.",
                hint="Generate a long random key of its own (docs/security.md).",
                id="certification.W001",
            )
        ]
    return []
