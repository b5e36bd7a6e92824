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
    "SCHEDULING_SWEEP_SECONDS": "2",
    "CERT_EXPIRY_SWEEP_SECONDS": "1",
    "WEBHOOK_TIMEOUT_SECONDS": "2",
    "WEBHOOK_RETRY_BASE_SECONDS": "1",
    "WEBHOOK_RETRY_MAX_SECONDS": "4",
    "EVENT_FEED_SETTLE_SECONDS": "0",
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
    from scheduling.models import WebhookDelivery
    from tenants.models import OutboxEvent

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
    from scheduling.models import WebhookDelivery
    from scheduling.services import webhook_id

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
        from scheduling.services import create_webhook_endpoint

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


def redis_fault(mode: str = "pause", pause_seconds: float = 60, changes: int = 150) -> dict:
    """``mode`` "pause": SIGSTOP Redis for ``pause_seconds``; "restart": kill -9 it and start a
    fresh one on the same port after 10 s. Certification changes go on throughout."""
    with stack(own_postgres=False) as s:
        _django(s)
        from certification.services import revoke_certification
        from scheduling.services import create_webhook_endpoint

        tenant, admin, _group, certs = _seed(changes)
        receiver = Receiver()
        create_webhook_endpoint(tenant=tenant, url=receiver.url)
        s.worker("worker", concurrency=2)
        beat = s.beat("beat")
        time.sleep(3)
        latencies: list[tuple[float, float, str]] = []  # (t, seconds, outcome)
        started = time.monotonic()
        done = threading.Event()

        def change_loop():
            from django.db import connection

            interval = (pause_seconds + 25) / len(certs)
            for cert in certs:
                t0 = time.monotonic()
                try:
                    revoke_certification(
                        tenant=tenant, certification=cert, actor=admin, reason="fault run"
                    )
                    outcome = "ok"
                except Exception as exc:  # noqa: BLE001
                    outcome = type(exc).__name__
                latencies.append((t0 - started, time.monotonic() - t0, outcome))
                time.sleep(max(0.0, interval - (time.monotonic() - t0)))
            connection.close()
            done.set()

        thread = threading.Thread(target=change_loop, daemon=True)
        thread.start()
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
            from bench.harness import start_redis

            s.redis = start_redis(directory, port=port)
            outage = 10.0
        recovered_at = time.monotonic() - started
        log("redis back; waiting for the changes to finish and the backlog to clear")
        done.wait(pause_seconds + 120)
        end_of_changes = time.monotonic() - started
        took = wait_until(lambda: _all_delivered(tenant.pk), 90, 0.5)
        state = _delivery_state(tenant.pk)
        check = _receiver_check(receiver, tenant.pk)
        s.kill(beat)
        receiver.close()
    during = [lat for t, lat, _o in latencies if fault_at <= t <= recovered_at]
    outside = [lat for t, lat, _o in latencies if not fault_at <= t <= recovered_at]
    median_during = sorted(during)[len(during) // 2] if during else 0.0
    failed = [o for _t, _l, o in latencies if o != "ok"]
    clear_after_recovery = (end_of_changes - recovered_at) + took if took is not None else None
    ok = (
        took is not None
        and check["missing"] == 0
        and not failed
        and clear_after_recovery is not None
        and clear_after_recovery <= 30 + (end_of_changes - recovered_at)
    )
    title = (
        f"### Redis paused (SIGSTOP) for {pause_seconds:.0f} s during certification changes"
        if mode == "pause"
        else "### Redis killed (SIGKILL) and restarted empty during certification changes"
    )
    lines = [
        title,
        f"- {len(latencies)} revocations spread over {end_of_changes:.0f} s, {len(during)} of them "
        f"during the {outage:.0f} s outage; failed changes: {len(failed)} {sorted(set(failed))}.",
        f"- Time of one change (commit + broker nudge): during the outage max "
        f"{max(during, default=0):.2f} s, median {median_during:.2f} s; "
        f"outside it max {max(outside, default=0):.2f} s.",
        "- Backlog (outbox → deliveries → receiver) cleared "
        + (
            f"{took:.1f} s after the last change ({clear_after_recovery:.0f} s after Redis "
            "recovered, the changes still arriving meanwhile)."
            if took is not None
            else "— NOT within 90 s of the last change."
        ),
        f"- Deliveries: {state['deliveries']}; undispatched: {state['undispatched']}; receiver "
        f"missing {check['missing']} of {check['expected_ids']}, duplicates "
        f"{check['duplicate_deliveries']}.",
        f"- Verdict: {'passed' if ok else 'FAILED'} (no event lost"
        + (", backlog cleared" if took is not None else "")
        + ").",
    ]
    return {
        "ok": ok,
        "lines": lines,
        "state": state,
        "receiver": check,
        "max_change_seconds_during_outage": max(during, default=0),
    }


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
        from tenants.models import OutboxEvent

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
        s.manage("bench_dataset", "--scale", "0.005")
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
