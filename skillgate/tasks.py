"""Calling a task of a higher app by name, so lower apps never import the apps above them."""

import logging
from importlib import import_module

from celery import current_app
from kombu.exceptions import OperationalError as KombuOperationalError

logger = logging.getLogger(__name__)


def resolve(task_name: str):
    """The registered task called ``task_name`` ("<module>.<function>").

    Celery's autodiscovery runs only inside a worker, so in a web process the module that
    defines the task may not be imported yet: import it by its path, then look again."""
    task = current_app.tasks.get(task_name)
    if task is None:
        try:
            import_module(task_name.rsplit(".", 1)[0])
        except ModuleNotFoundError:
            return None
        task = current_app.tasks.get(task_name)
    return task


def enqueue(task_name: str, /, **kwargs) -> None:
    """Queue ``task_name`` (runs inline when tasks are eager). Call it from
    ``transaction.on_commit`` so the task sees committed rows. A periodic sweep in the receiving
    app must catch up on anything lost between commit and queueing.

    The user's change is already committed when this runs, so a broker outage must neither fail
    nor stall the request: no publish retries, short broker timeouts (settings), and a broker
    error is logged instead of raised."""
    task = resolve(task_name)
    if task is None:
        logger.warning("task %s is not registered; skipped", task_name)
        return
    try:
        task.apply_async(kwargs=kwargs, retry=False)
    except (KombuOperationalError, OSError) as exc:
        logger.warning(
            "could not queue %s (%s); the periodic sweep will pick it up", task_name, exc
        )
