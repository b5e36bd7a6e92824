"""A revocation and an assignment of the same agent racing each other never both commit: the
guard reads the certification FOR SHARE, the revocation takes a row lock, so one waits for the
other and then sees its result (refused, or cancelled by the cascade)."""

from __future__ import annotations

import contextlib
import threading
import time

import pytest
from django.db import connection, transaction

from certification.models import Certification
from core.errors import Conflict
from scheduling import services
from scheduling.models import ShiftAssignment
from tests.factories import MembershipFactory, TenantFactory

from .factories import HOUR, make_certification, make_skill_group, revoke, tomorrow_9

pytestmark = pytest.mark.django_db(transaction=True)


def _threads(*targets):
    errors = []

    def wrap(fn):
        def run():
            try:
                fn()
            except Exception as exc:  # noqa: BLE001 - reported below
                errors.append(exc)
            finally:
                connection.close()

        return run

    threads = [threading.Thread(target=wrap(t)) for t in targets]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert not any(t.is_alive() for t in threads), "deadlocked"
    return errors


def _assign(tenant, agent, start):
    return services.create_assignments(
        tenant=tenant,
        items=[services.AssignmentRequest(agent.employee_id, "telecom", start, start + 8 * HOUR)],
        source="api",
    )


def _invariant_holds():
    broken = ShiftAssignment.objects.filter(status="scheduled").exclude(
        certification__status=Certification.Status.ACTIVE
    )
    assert not broken.exists(), list(broken.values("pk", "certification__status"))


@pytest.fixture
def setup():
    tenant = TenantFactory()
    group = make_skill_group(tenant, "telecom")
    return tenant, group


def test_racing_revocations_and_assignments_never_both_commit(setup):
    tenant, group = setup
    start = tomorrow_9()
    outcomes = {"refused": 0, "cancelled": 0}
    for _round in range(40):
        agent = MembershipFactory(tenant=tenant)
        cert = make_certification(agent, group)
        barrier = threading.Barrier(2)

        def assign(agent=agent, barrier=barrier):
            barrier.wait()
            with contextlib.suppress(Conflict, services.AssignmentsRefused):
                _assign(tenant, agent, start)

        def revoke_it(cert=cert, barrier=barrier):
            barrier.wait()
            with transaction.atomic():
                revoke(cert)

        assert _threads(assign, revoke_it) == []
        rows = list(
            ShiftAssignment.objects.filter(membership=agent).values_list("status", flat=True)
        )
        assert rows in ([], ["cancelled"])
        outcomes["refused" if not rows else "cancelled"] += 1
        _invariant_holds()
    assert sum(outcomes.values()) == 40


def test_revocation_waiting_on_an_assignment_cancels_it(setup):
    tenant, group = setup
    agent = MembershipFactory(tenant=tenant)
    cert = make_certification(agent, group)
    inserted = threading.Event()

    def assign():
        with transaction.atomic():
            _assign(tenant, agent, tomorrow_9())
            inserted.set()
            time.sleep(0.3)  # hold the FOR SHARE lock while the revocation queues behind it

    def revoke_it():
        inserted.wait(10)
        with transaction.atomic():
            revoke(cert)

    assert _threads(assign, revoke_it) == []
    assert list(ShiftAssignment.objects.values_list("status", flat=True)) == ["cancelled"]
    _invariant_holds()


def test_assignment_waiting_on_a_revocation_is_refused(setup):
    tenant, group = setup
    agent = MembershipFactory(tenant=tenant)
    cert = make_certification(agent, group)
    revoked = threading.Event()
    result = {}

    def revoke_it():
        with transaction.atomic():
            revoke(cert)
            revoked.set()
            # Hold the row lock until the assignment's guard is waiting on it (a fixed sleep
            # let a slow machine reach the guard only after the commit).
            with connection.cursor() as cursor:
                for _ in range(200):
                    cursor.execute("SELECT pg_stat_clear_snapshot()")  # re-read, not cached
                    cursor.execute(
                        "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
                        " AND wait_event_type = 'Lock'"
                    )
                    if cursor.fetchone()[0]:
                        break
                    time.sleep(0.05)

    def assign():
        revoked.wait(10)
        try:
            _assign(tenant, agent, tomorrow_9())
        except Conflict as exc:
            result["code"] = exc.code

    assert _threads(revoke_it, assign) == []
    assert result == {"code": "not_certified"}
    assert not ShiftAssignment.objects.exists()


def test_concurrent_requests_with_one_idempotency_key_write_once(setup):
    tenant, group = setup
    agent = MembershipFactory(tenant=tenant)
    make_certification(agent, group)
    start = tomorrow_9()
    barrier = threading.Barrier(2)
    answers = []

    def call():
        def produce():
            # As the API's view does: a refusal is an answer too, stored under the key. The
            # thread that starts second may find the first one's shift already committed.
            try:
                result = _assign(tenant, agent, start)
            except services.AssignmentsRefused as refused:
                return refused.status, refused.details
            return 201, {"created": [a.pk for a in result.created]}

        barrier.wait()
        answers.append(
            services.run_idempotent(tenant=tenant, key="same", fingerprint="f", produce=produce)
        )

    assert _threads(call, call) == []
    assert ShiftAssignment.objects.count() == 1
    assert [a.body for a in answers][0] == [a.body for a in answers][1]
    assert sorted(a.replayed for a in answers) == [False, True]
