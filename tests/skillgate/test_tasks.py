"""Tasks of higher apps are found by name in a fresh web process (no worker autodiscovery)."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

SCRIPT = """
import django, os
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "skillgate.settings")
django.setup()
from celery import current_app
from skillgate.tasks import resolve
names = ["certification.tasks.evaluate_agent", "certification.tasks.start_recertification",
         "scheduling.tasks.dispatch_outbox", "scheduling.tasks.deliver_webhook"]
before = [n for n in names if n in current_app.tasks]
print("missing-before:", sorted(set(names) - set(before)))
print("resolved:", all(resolve(n) is not None for n in names))
print("unknown:", resolve("certification.tasks.no_such_task"), resolve("nope.tasks.x"))
"""


def test_tasks_of_other_apps_are_found_by_name_in_a_fresh_process():
    env = {"DEBUG": "true", "PATH": "/usr/bin:/bin", "SKILLGATE_TESTING": "1"}
    out = subprocess.run(
        [sys.executable, "-c", SCRIPT],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "resolved: True" in out
    assert "unknown: None None" in out


def test_enqueue_with_the_broker_down_logs_and_returns():
    """The change is committed when enqueue runs: a dead broker must not turn it into an error
    page (the outbox and the periodic sweeps deliver later)."""
    script = """
import django, os, logging
logging.basicConfig(level=logging.WARNING)
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "skillgate.settings")
django.setup()
from skillgate.tasks import enqueue
enqueue("scheduling.tasks.dispatch_outbox", tenant_id=1)
print("returned")
"""
    env = {
        "DEBUG": "true",
        "PATH": "/usr/bin:/bin",
        "SKILLGATE_TESTING": "1",
        "CELERY_BROKER_URL": "redis://127.0.0.1:1/0",  # nothing listens on port 1
    }
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
