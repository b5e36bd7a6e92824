"""Hand-offs between apps: declared by the sender, connected by the receiver, checked at start."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from celery import shared_task
from django.core.exceptions import ImproperlyConfigured

from core import handoffs

ROOT = Path(__file__).resolve().parents[2]
# The child uses the suite's database server (DATABASE_URL, or the embedded one it shares).
ENV = {"DEBUG": "true", "PATH": "/usr/bin:/bin", "SKILLGATE_TESTING": "1"} | {
    key: os.environ[key] for key in ("DATABASE_URL",) if os.environ.get(key)
}


@pytest.fixture
def registry(monkeypatch):
    """A private registry, so these tests never touch the project's declared hand-offs."""
    monkeypatch.setattr(handoffs, "_registry", {})
    return handoffs._registry


@shared_task(name="tests.core.receive_progress")
def receive_progress(tenant_id: int, membership_id: int) -> int:
    return tenant_id + membership_id


def test_connecting_an_unknown_hand_off_is_refused(registry):
    handoffs.declare("training.agent_progressed", "tenant_id", "membership_id")
    with pytest.raises(ImproperlyConfigured, match="unknown hand-off 'training.agent_progresed'"):
        handoffs.connect("training.agent_progresed", receive_progress)


def test_a_receiver_must_take_exactly_the_declared_arguments(registry):
    handoffs.declare("training.agent_progressed", "tenant_id", "member_id")
    with pytest.raises(ImproperlyConfigured, match="takes"):
        handoffs.connect("training.agent_progressed", receive_progress)


def test_a_declared_hand_off_without_receiver_fails_the_system_check(registry):
    handoffs.declare("training.agent_progressed", "tenant_id", "membership_id")
    assert [e.id for e in handoffs.check_handoffs()] == ["core.E001"]
    handoffs.connect("training.agent_progressed", receive_progress)
    assert handoffs.check_handoffs() == []


def test_sending_other_arguments_than_declared_is_a_programming_error(registry):
    handoff = handoffs.declare("training.agent_progressed", "tenant_id", "membership_id")
    handoffs.connect("training.agent_progressed", receive_progress)
    with pytest.raises(TypeError):
        handoff.send(tenant_id=1)


def test_every_project_hand_off_has_its_receiver_in_a_fresh_process():
    """A web process imports no task modules by itself (Celery autodiscovery runs only in a
    worker): the receiving apps connect their tasks while Django starts."""
    script = """
import django, os
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "skillgate.settings")
django.setup()
from core import handoffs
print("declared:", sorted(handoffs._registry))
print("receivers:", sorted(h.task.name for h in handoffs._registry.values()))
print("errors:", handoffs.check_handoffs())
"""
    out = subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT,
        env=ENV,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "declared: ['training.agent_progressed', 'training.recertification_required']" in out
    assert (
        "receivers: ['certification.tasks.evaluate_agent', "
        "'certification.tasks.start_recertification']"
    ) in out
    assert "errors: []" in out


def test_a_hand_off_with_the_broker_down_logs_and_returns():
    """The change is committed when a hand-off is sent: a dead broker must not turn it into an
    error page (the receiving app's periodic sweep catches up)."""
    script = """
import django, os, logging
logging.basicConfig(level=logging.WARNING)
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "skillgate.settings")
django.setup()
from training.handoffs import AGENT_PROGRESSED
AGENT_PROGRESSED.send(tenant_id=1, membership_id=1)
print("returned")
"""
    env = {**ENV, "CELERY_BROKER_URL": "redis://127.0.0.1:1/0"}  # nothing listens on port 1
    done = subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert "returned" in done.stdout
    assert "periodic sweep will pick it up" in done.stderr
