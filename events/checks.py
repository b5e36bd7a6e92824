"""Deployment checks of event settings (``manage.py check --deploy``)."""

from __future__ import annotations

from django.conf import settings
from django.core.checks import Tags, Warning, register


@register(Tags.security, deploy=True)
def webhook_private_networks(app_configs, **kwargs):
    # The setting exists for the demo and tests (receivers on 127.0.0.1); in production it
    # would let a tenant admin point signed POSTs at internal services.
    if settings.WEBHOOK_ALLOW_PRIVATE_NETWORKS and not settings.DEBUG:
        return [
            Warning(
                "WEBHOOK_ALLOW_PRIVATE_NETWORKS is on outside DEBUG: webhook endpoints may "
                "reach loopback and private addresses.",
                hint="Unset WEBHOOK_ALLOW_PRIVATE_NETWORKS in production.",
                id="events.W001",
            )
        ]
    return []
