"""The fault runs of issue 6. Each is bounded in time, uses loopback only, and returns a dict of
findings with ``ok`` and ``lines`` (Markdown) for bench/results/resilience.md."""

from __future__ import annotations

import asyncio
import os
import random
import signal
import subprocess
import threading
import time
from datetime import timedelta

from .common import Receiver, Stack, log, stack, wait_until

FAST_ENV = {
    # short periods so recovery is visible within a bounded run
    "EVENTS_SWEEP_SECONDS": "2",
    "CERT_EXPIRY_SWEEP_SECONDS": "1",
    "WEBHOOK_TIMEOUT_SECONDS": "2",
    "WEBHOOK_RETRY_BASE_SECONDS": "1",
    "WEBHOOK_RETRY_MAX_SECONDS": "4",
}


def _django(s: Stack) -> None:
    s.env.update(FAST_ENV)
    os.environ.update(s.env)
    import django

    django.setup()


def _seed(n: int, *, valid_seconds: float | None = None, slug: str = "res"):
    """A tenant with ``n`` agents, one admin and one skill group, each agent actively certified."""
    from django.utils import timezone

    from certification.models import Certification, SkillGroup
    from tenants.models import Membership, Role, Tenant, User

    now = timezone.now()
    tenant = Tenant.objects.create(slug=slug, name="Resilience")
    users = User.objects.bulk_create(
        [User(username=f"{slug}-{i}", password="!") for i in range(n + 1)]
    )
    admin = Membership.objects.create(
        tenant=tenant, user=users[-1], role=Role.TENANT_ADMIN, employee_id="ADMIN"
    )
    members = Membership.objects.bulk_create(
        [
            Membership(tenant=tenant, user=u, employee_id=f"R{i:05d}")
            for i, u in enumerate(users[:-1])
        ]
    )
    group = SkillGroup.objects.create(
        tenant=tenant, code="sg1", name="Group 1", requires_approval=False
    )
    certs = Certification.objects.bulk_create(
        [
            Certification(
                tenant=tenant,
                membership=m,
                skill_group=group,
                status="active",
                valid_from=now - timedelta(days=1),
                valid_until=now
                + (
                    timedelta(seconds=valid_seconds * (1 + i % 5) / 5)
                    if valid_seconds
                    else timedelta(days=100)
                ),
            )
            for i, m in enumerate(members)
        ]
    )
    return tenant, admin, group, certs


def _delivery_state(tenant_id: int) -> dict:
    from events.models import OutboxEvent, WebhookDelivery

    events = OutboxEvent.objects.filter(tenant_id=tenant_id).count()
    undispatched = OutboxEvent.objects.filter(
        tenant_id=tenant_id, dispatched_at__isnull=True
    ).count()
    by_status = {}
    for row in WebhookDelivery.objects.filter(tenant_id=tenant_id).values_list("status", flat=True):
        by_status[row] = by_status.get(row, 0) + 1
    return {"events": events, "undispatched": undispatched, "deliveries": by_status}


def _all_delivered(tenant_id: int) -> bool:
    st = _delivery_state(tenant_id)
    delivered = st["deliveries"].get("delivered", 0)
    return st["undispatched"] == 0 and delivered == st["events"] and st["events"] > 0


def _receiver_check(receiver: Receiver, tenant_id: int) -> dict:
    from events.models import WebhookDelivery
    from events.services import webhook_id

    expected = {webhook_id(d) for d in WebhookDelivery.objects.filter(tenant_id=tenant_id)}
    seen = set(receiver.seen)
    return {
        "expected_ids": len(expected),
        "received_ids": len(seen & expected),
        "missing": len(expected - seen),
        "duplicate_deliveries": sum(n - 1 for n in receiver.seen.values() if n > 1),
        "processed_once": len(seen),  # an idempotent receiver processes each id once
    }


# --- kill -9 the worker during webhook delivery ------------------------------------------------


def webhook_worker_kill(events: int = 200) -> dict:
    with stack(own_postgres=False) as s:
        _django(s)
        from certification.services import revoke_certification
        from events.services import create_webhook_endpoint

        tenant, admin, _group, certs = _seed(events)
        receiver = Receiver(delay=0.05)
        create_webhook_endpoint(tenant=tenant, url=receiver.url)
        worker = s.worker("worker-a", concurrency=2)
        beat = s.beat("beat")
        time.sleep(3)
        log(f"revoking {events} certifications (one webhook event each)")
        for cert in certs:
            revoke_certification(tenant=tenant, certification=cert, actor=admin, reason="fault run")
        wait_until(lambda: sum(receiver.seen.values()) >= events // 5, 60, 0.1)
        before = sum(receiver.seen.values())
        log(f"kill -9 the worker after {before} deliveries")
        s.kill(worker, signal.SIGKILL)
        killed_at = time.monotonic()
        time.sleep(2)
        s.worker("worker-b", concurrency=2)
        took = wait_until(lambda: _all_delivered(tenant.pk), 120, 1.0)
        state = _delivery_state(tenant.pk)
        check = _receiver_check(receiver, tenant.pk)
        s.kill(beat)
        receiver.close()
    ok = took is not None and check["missing"] == 0
    lines = [
        "### kill -9 the Celery worker during webhook delivery",
        f"- {events} certification revocations → {state['events']} outbox events; worker killed "
        f"(SIGKILL, whole process group) after {before} deliveries had reached the receiver.",
        "- A second worker and the periodic sweep (every 2 s) finished the backlog "
        + (f"{took + 2:.0f} s after the kill." if took is not None else "— NOT within 120 s."),
        f"- Deliveries by status: {state['deliveries']}; undispatched outbox rows: "
        f"{state['undispatched']}.",
        f"- Receiver: {check['received_ids']} of {check['expected_ids']} webhook ids received, "
        f"{check['missing']} missing, {check['duplicate_deliveries']} duplicate deliveries "
        "(same webhook-id, dropped by an idempotent receiver), so each event was processed once.",
        f"- Verdict: {'passed' if ok else 'FAILED'}.",
    ]
    _ = killed_at
    return {"ok": ok, "lines": lines, "state": state, "receiver": check}


# --- Redis paused (SIGSTOP) or killed during certification changes ------------------------------


def redis_fault(mode: str = "pause", pause_seconds: float = 60, every: float = 2.0) -> dict:
    """``mode`` "pause": SIGSTOP Redis for ``pause_seconds``; "restart": kill -9 it and start a
    fresh, empty one on the same port after 10 s. Certification changes keep arriving throughout,
    one every ``every`` seconds, each in its own thread like independent web requests (on a
    private PostgreSQL cluster, so blocked requests hold none of the shared server's
    connections). Measured: whether changes fail or hang, and how long after recovery the
    backlog (outbox -> deliveries -> receiver) takes to clear."""
    from bench.harness import start_redis

    with stack(own_postgres=True) as s:
        _django(s)
        from django.db import connection

        from certification.services import revoke_certification
        from events.services import create_webhook_endpoint

        total = round((10 + pause_seconds + 20) / every)
        tenant, admin, _group, certs = _seed(total)
        receiver = Receiver()
        create_webhook_endpoint(tenant=tenant, url=receiver.url)
        connection.close()
        s.worker("worker", concurrency=2)
        beat = s.beat("beat")
        time.sleep(3)
        latencies: list[tuple[float, float, str]] = []  # (started at, seconds, outcome)
        started = time.monotonic()

        def one_change(cert):
            from django.db import connection as conn

            t0 = time.monotonic()
            try:
                revoke_certification(
                    tenant=tenant, certification=cert, actor=admin, reason="fault run"
                )
                outcome = "ok"
            except Exception as exc:  # noqa: BLE001
                outcome = type(exc).__name__
            finally:
                conn.close()
            latencies.append((t0 - started, time.monotonic() - t0, outcome))

        threads = []

        def producer():
            for cert in certs:
                t = threading.Thread(target=one_change, args=(cert,), daemon=True)
                t.start()
                threads.append(t)
                time.sleep(every)

        feeder = threading.Thread(target=producer, daemon=True)
        feeder.start()
        time.sleep(10)
        fault_at = time.monotonic() - started
        if mode == "pause":
            log(f"SIGSTOP redis for {pause_seconds:.0f} s")
            s.redis.proc.send_signal(signal.SIGSTOP)
            time.sleep(pause_seconds)
            s.redis.proc.send_signal(signal.SIGCONT)
            outage = pause_seconds
        else:
            log("kill -9 redis, restart it empty on the same port after 10 s")
            port, directory = s.redis.port, s.redis.directory
            s.redis.proc.kill()
            s.redis.proc.wait()
            time.sleep(10)
            s.redis = start_redis(directory, port=port)
            outage = 10.0
        recovered = time.monotonic()
        recovered_at = recovered - started
        log("redis back")

        def committed_delivered() -> bool:
            # every change committed before recovery has reached the receiver
            from events.models import OutboxEvent

            ids = list(
                OutboxEvent.objects.filter(
                    tenant=tenant, created_at__lte=_wall(recovered)
                ).values_list("pk", flat=True)
            )
            from events.models import WebhookDelivery
            from events.services import webhook_id

            want = {
                webhook_id(d)
                for d in WebhookDelivery.objects.filter(tenant=tenant, event_id__in=ids)
            }
            return len(want) == len(ids) and want <= set(receiver.seen)

        backlog_cleared = wait_until(committed_delivered, 90, 0.5)
        feeder.join(timeout=120)
        for t in threads:
            t.join(timeout=90)
        took = wait_until(lambda: _all_delivered(tenant.pk), 90, 0.5)
        state = _delivery_state(tenant.pk)
        check = _receiver_check(receiver, tenant.pk)
        s.kill(beat)
        receiver.close()
        connection.close()
    during = [lat for t, lat, _o in latencies if fault_at <= t <= recovered_at]
    outside = [lat for t, lat, _o in latencies if not fault_at <= t <= recovered_at]
    failed = [o for _t, _l, o in latencies if o != "ok"]
    ok = (
        took is not None
        and check["missing"] == 0
        and not failed
        and backlog_cleared is not None
        and backlog_cleared <= 30
    )
    title = (
        f"### Redis paused (SIGSTOP) for {pause_seconds:.0f} s during certification changes"
        if mode == "pause"
        else "### Redis killed (SIGKILL) and restarted empty during certification changes"
    )
    lines = [
        title,
        f"- {len(latencies)} revocations, one every {every:.0f} s, each in its own thread; "
        f"{len(during)} started during the {outage:.0f} s outage; failed changes: {len(failed)} "
        f"{sorted(set(failed))}.",
        "- Time of one change (transaction + broker nudge after commit): started during the "
        f"outage max {max(during, default=0):.1f} s; "
        f"otherwise max {max(outside, default=0):.1f} s.",
        "- Backlog: every change committed before recovery reached the receiver "
        + (
            f"{backlog_cleared:.1f} s after Redis recovered."
            if backlog_cleared is not None
            else "— NOT within 90 s of recovery."
        ),
        f"- Deliveries: {state['deliveries']}; undispatched: {state['undispatched']}; receiver "
        f"missing {check['missing']} of {check['expected_ids']}, duplicates "
        f"{check['duplicate_deliveries']}.",
        f"- Verdict: {'passed' if ok else 'FAILED'}.",
    ]
    if during and max(during) <= 10:
        lines.append(
            f"- A change made while Redis was {'paused' if mode == 'pause' else 'down'} waited "
            f"at most {max(during):.1f} s for the broker after its commit (bounded by the "
            "broker socket timeout), then went on; the periodic sweep delivered its event."
        )
    if during and max(during) > 10:
        lines.append(
            f"- Finding: a change made while Redis is {'paused' if mode == 'pause' else 'down'} "
            f"waits up to {max(during):.0f} s for the broker after its commit (the event itself is "
            "safe in the outbox). To close: broker socket and connect timeouts of a few seconds "
            "(CELERY_BROKER_TRANSPORT_OPTIONS socket_timeout / socket_connect_timeout) and no "
            "publish retries for the nudge (retry=False), since the periodic sweep re-queues it."
        )
    return {
        "ok": ok,
        "lines": lines,
        "state": state,
        "receiver": check,
        "max_change_seconds_during_outage": max(during, default=0),
        "backlog_cleared_s": backlog_cleared,
    }


def _wall(monotonic_at: float):
    """The wall-clock time of a ``time.monotonic()`` reading."""
    from datetime import UTC, datetime

    return datetime.now(UTC) - timedelta(seconds=time.monotonic() - monotonic_at)


# --- two beat schedulers at once ------------------------------------------------------------


def two_beats(certs: int = 300, within: float = 15) -> dict:
    with stack(own_postgres=False) as s:
        _django(s)
        tenant, _admin, _group, rows = _seed(certs, valid_seconds=within)
        for name in ("worker-a", "worker-b"):
            s.worker(name, concurrency=2)
        s.beat("beat-a")
        s.beat("beat-b")
        log(f"{certs} certifications expire within {within:.0f} s; two beats sweep every second")

        from certification.models import Certification, CertificationEvent

        took = wait_until(
            lambda: not Certification.objects.filter(tenant=tenant, status="active").exists(),
            within + 60,
            1.0,
        )
        time.sleep(5)  # more sweeps from both beats: still one event each
        counts = {}
        for cert_id in CertificationEvent.objects.filter(
            tenant=tenant, new_status="expired"
        ).values_list("certification_id", flat=True):
            counts[cert_id] = counts.get(cert_id, 0) + 1
        sweeps = _count_in_logs(s, "certification.tasks.expire_certifications")
        from events.models import OutboxEvent

        outbox = OutboxEvent.objects.filter(
            tenant=tenant, event_type="certification.expired"
        ).count()
    expired = len(counts)
    doubles = sum(1 for n in counts.values() if n > 1)
    ok = took is not None and expired == certs and doubles == 0 and outbox == certs
    lines = [
        "### Two beat schedulers at once",
        f"- {certs} active certifications with expiry spread over {within:.0f} s; two "
        "`celery beat` processes (sweep every 1 s each) and two workers.",
        f"- Sweeps queued by the beats: {sweeps}; all expired after "
        + (f"{took:.0f} s." if took is not None else "— NOT all within the bound."),
        f"- Expiry events: {expired} certifications with an event, {doubles} with more than one; "
        f"`certification.expired` outbox rows: {outbox}.",
        f"- Verdict: {'passed' if ok else 'FAILED'}.",
    ]
    return {"ok": ok, "lines": lines, "expired": expired, "doubles": doubles, "outbox": outbox}


def _count_in_logs(s: Stack, needle: str) -> int:
    total = 0
    for path in s.tmp.glob("beat-*.log"):
        total += path.read_text(errors="replace").count(needle)
    return total


# --- PostgreSQL crash-stopped during the exam hall -------------------------------------------


def pg_crash(trainees: int = 60, seconds: float = 40, down: float = 5) -> dict:
    from bench import exam
    from bench.harness import start_gunicorn

    with stack(own_postgres=True) as s:
        s.run_module("bench.generate", "--scale", "0.005")
        _django(s)
        from bench import dataset

        tenant_id = dataset.tenant_id()
        quiz = exam.ensure_quiz(tenant_id)
        sessions = exam.make_sessions(tenant_id, trainees, quiz.pk)
        from django.db import connection

        connection.close()
        server = start_gunicorn(s.env, kind="sync", log=log)
        crash_log: dict = {}

        def crash():
            time.sleep(seconds * 0.4)
            log("pg_ctl stop -m immediate")
            crash_log["at"] = time.monotonic()
            s.pg.crash()
            time.sleep(down)
            s.pg.start()
            crash_log["back"] = time.monotonic()
            log("PostgreSQL restarted")

        t = threading.Thread(target=crash, daemon=True)
        t.start()
        try:
            tally = asyncio.run(
                exam._exam(server, quiz.pk, sessions, s.env["DATABASE_URL"], seconds, retries=8)
            )
        finally:
            t.join(timeout=60)
            server.stop()
        connection.close()
        checks = exam.verify(tally, quiz.pk, [m for m, _ in sessions])
        from training.models import Attempt

        half = Attempt.objects.filter(quiz=quiz, state="graded", score__isnull=True).count()
        half += (
            Attempt.objects.filter(quiz=quiz)
            .exclude(state="in_progress")
            .filter(finished_at__isnull=True)
            .count()
        )
    statuses = {k: dict(v) for k, v in tally.statuses.items()}
    errors = {k: {c: n for c, n in v.items() if c >= 500 or c == 0} for k, v in statuses.items()}
    ok = checks["lost_answers"] == 0 and checks["double_grades"] == 0 and half == 0
    retried = tally.retried
    lines = [
        "### PostgreSQL crash-stopped during the exam hall",
        f"- {trainees} trainees (start, autosave every few seconds, double-click submit) against "
        f"gunicorn on a private cluster; `pg_ctl stop -m immediate` {seconds * 0.4:.0f} s in, "
        f"restarted {down:.0f} s later.",
        f"- Error answers seen by clients per request type: {errors} (0 = connection refused or "
        "reset); clients retried a failed request up to 8 times with a 1 s pause, "
        f"{retried} retries in all; client failures after retries: {len(tally.failures)}.",
        f"- After the run: {checks['answers_acknowledged']} acknowledged autosaves, "
        f"{checks['lost_answers']} lost; {checks['attempts']} attempts, "
        f"{checks['double_grades']} double grades, {checks['ungraded_attempts']} still open, "
        f"{tally.unacknowledged} autosaves never acknowledged after the retries (the page "
        "keeps showing them as unsaved; not counted as lost), "
        f"{half} half-written (finished without score or time).",
        f"- Verdict: {'passed' if ok else 'FAILED'} on data (nothing acknowledged was lost, "
        "nothing half-written)."
        + (
            " Clients got HTTP 500 (not 503) while the database was down: the project has no "
            "handler mapping a lost database connection to 503 with Retry-After."
            if any(500 in v for v in errors.values())
            else ""
        ),
    ]
    return {"ok": ok, "lines": lines, "statuses": statuses, "checks": checks, "half": half}


SCENARIOS = {
    "two-beats": two_beats,
    "webhook-kill": webhook_worker_kill,
    "redis-pause": lambda: redis_fault("pause"),
    "redis-restart": lambda: redis_fault("restart"),
    "pg-crash": pg_crash,
}
_ = (random, subprocess)
