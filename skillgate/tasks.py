"""Calling a task of a higher app by name, so lower apps never import the apps above them."""

import logging

from celery import current_app

logger = logging.getLogger(__name__)


def enqueue(task_name: str, /, **kwargs) -> None:
    """Queue ``task_name`` (runs inline when tasks are eager). Call it from
    ``transaction.on_commit`` so the task sees committed rows. A periodic sweep in the receiving
    app must catch up on anything lost between commit and queueing."""
    task = current_app.tasks.get(task_name)
    if task is None:
        logger.warning("task %s is not registered; skipped", task_name)
        return
    task.apply_async(kwargs=kwargs)
