"""Hand-offs: how a lower app asks a higher one for work after a commit without importing it.

The sending app declares each hand-off once, by name and keyword arguments, in its own
``handoffs`` module (imported by its ``AppConfig.ready``). The receiving app connects one Celery
task to it in its own ``ready``. Connecting an undeclared name, or a task whose parameters differ
from the declaration, raises ``ImproperlyConfigured`` while Django starts; a declared hand-off
that no app connects fails the system check ``core.E001``. So a renamed task or a missing app
shows at start-up, never as a silently dropped message while a request runs.

``send`` queues the task (inline when tasks run eagerly). Call it from ``transaction.on_commit``
so the task sees committed rows; the receiving app keeps a periodic sweep that catches up on
anything lost between commit and queueing. The user's change is already committed by then, so a
broker outage must neither fail nor stall the request: no publish retries, short broker timeouts
(settings), and a broker error is logged instead of raised."""

from __future__ import annotations

import inspect
import logging
from dataclasses import dataclass, field
from typing import Any

from django.core.checks import Error, register
from django.core.exceptions import ImproperlyConfigured
from kombu.exceptions import OperationalError as KombuOperationalError

logger = logging.getLogger(__name__)


@dataclass
class Handoff:
    name: str
    params: frozenset[str]
    task: Any = field(default=None, repr=False)

    def send(self, **kwargs) -> None:
        if set(kwargs) != self.params:
            raise TypeError(
                f"hand-off {self.name} takes {sorted(self.params)}, got {sorted(kwargs)}"
            )
        if self.task is None:
            # Only reachable when start-up checks were skipped; never drop it silently.
            logger.error("hand-off %s has no receiver; skipped", self.name)
            return
        queue(self.task, **kwargs)


def queue(task, /, **kwargs) -> None:
    """Queue a Celery task after a commit without failing the request on a broker outage (also
    for an app's own tasks, which it calls directly rather than through a hand-off)."""
    try:
        task.apply_async(kwargs=kwargs, retry=False)
    except (KombuOperationalError, OSError) as exc:
        logger.warning(
            "could not queue %s (%s); the periodic sweep will pick it up", task.name, exc
        )


_registry: dict[str, Handoff] = {}


def declare(name: str, *params: str) -> Handoff:
    """Declare a hand-off the calling app sends (once per process, at import)."""
    handoff = _registry.get(name)
    if handoff is not None:
        if handoff.params != frozenset(params):
            raise ImproperlyConfigured(f"hand-off {name} declared twice with other parameters")
        return handoff
    handoff = _registry[name] = Handoff(name=name, params=frozenset(params))
    return handoff


def _task_params(task) -> frozenset[str]:
    fn = getattr(task, "run", task)
    params = inspect.signature(fn).parameters.values()
    return frozenset(p.name for p in params if p.kind is not p.VAR_KEYWORD and p.name != "self")


def connect(name: str, task) -> None:
    """Make ``task`` (a Celery task) the receiver of the declared hand-off ``name``."""
    handoff = _registry.get(name)
    if handoff is None:
        raise ImproperlyConfigured(
            f"unknown hand-off {name!r}: no installed app declares it (declared: "
            f"{', '.join(sorted(_registry)) or 'none'})"
        )
    if handoff.task is not None and handoff.task is not task:
        raise ImproperlyConfigured(f"hand-off {name} already has a receiver: {handoff.task.name}")
    if _task_params(task) != handoff.params:
        raise ImproperlyConfigured(
            f"task {getattr(task, 'name', task)} takes {sorted(_task_params(task))}, "
            f"but hand-off {name} sends {sorted(handoff.params)}"
        )
    handoff.task = task


@register()
def check_handoffs(app_configs=None, **kwargs) -> list[Error]:
    return [
        Error(
            f"hand-off {handoff.name} is declared but no installed app receives it",
            hint="Connect a task to it in the receiving app's AppConfig.ready().",
            id="core.E001",
        )
        for handoff in _registry.values()
        if handoff.task is None
    ]
