"""The event log is append-only in the database and tamper-evident through its keyed hash chain
(tests/certification/test_audit_trail.py tries every way of tampering with it)."""

import pytest
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, transaction

from certification.audit import verify_tenant
from certification.models import CertificationEvent
from certification.services import revoke_certification

from .factories import certify

TABLE = "certification_certificationevent"


@pytest.fixture
def events(world):
    cert = certify(world.agent, approve_by=world.lead)
    revoke_certification(tenant=world.tenant, certification=cert, actor=world.lead, reason="Audit")
    return list(CertificationEvent.objects.filter(certification=cert))


def _refused(action):
    with pytest.raises(DatabaseError), transaction.atomic():
        action()


def test_event_cannot_be_saved_again(events):
    event = events[0]
    event.reason = "rewritten"
    _refused(event.save)


def test_events_cannot_be_updated_by_queryset(events):
    _refused(lambda: CertificationEvent.objects.update(reason="rewritten"))
    assert not CertificationEvent.objects.filter(reason="rewritten").exists()


def test_events_cannot_be_deleted(events):
    _refused(events[0].delete)
    _refused(lambda: CertificationEvent.objects.all().delete())
    assert CertificationEvent.objects.count() == len(events)


def test_events_cannot_be_changed_by_raw_sql(events):
    def raw(sql):
        def run():
            with connection.cursor() as cursor:
                cursor.execute(sql)

        return run

    _refused(raw(f"UPDATE {TABLE} SET reason = 'x'"))
    _refused(raw(f"DELETE FROM {TABLE}"))
    assert CertificationEvent.objects.count() == len(events)


def test_chain_numbers_and_links_every_event_after_the_previous_one(events, world):
    chain = list(CertificationEvent.objects.filter(tenant=world.tenant).order_by("pk"))
    assert chain[0].prev_hash == ""
    assert [event.seq for event in chain] == list(range(1, len(chain) + 1))
    for prev, event in zip(chain, chain[1:], strict=False):
        assert event.prev_hash == prev.hash
    report = verify_tenant(tenant_id=world.tenant.pk, slug=world.tenant.slug)
    assert (report.events, report.problems) == (len(chain), [])


def _tamper(event_id, reason):
    """Change a row behind the application's back (a DBA with trigger rights)."""
    with connection.cursor() as cursor:
        # A superuser session that skips ordinary triggers.
        cursor.execute("SET LOCAL session_replication_role = replica")
        cursor.execute(f"UPDATE {TABLE} SET reason = %s WHERE id = %s", [reason, event_id])
        cursor.execute("SET LOCAL session_replication_role = origin")


def test_verify_command_names_the_first_altered_row(events, world, capsys):
    call_command("verify_certification_events", "--tenant", world.tenant.slug)
    assert "chain intact" in capsys.readouterr().out
    target = events[1]
    _tamper(target.pk, "nothing to see")
    with pytest.raises(CommandError):
        call_command("verify_certification_events", "--tenant", world.tenant.slug)
    out = capsys.readouterr().out
    assert f"seq={target.seq} (id={target.pk})" in out and "content does not match" in out


def test_verify_command_checks_every_tenant_and_rejects_unknown_slug(events, world, capsys):
    call_command("verify_certification_events")
    out = capsys.readouterr().out
    assert f"{world.tenant.slug}: {len(events)} events, chain intact" in out
    assert f"{world.other_tenant.slug}: 0 events, chain intact" in out
    with pytest.raises(CommandError):
        call_command("verify_certification_events", "--tenant", "nope")


@pytest.mark.django_db(transaction=True)
def test_flushing_the_whole_database_still_works():
    from tests.factories import MembershipFactory, TenantFactory

    agent = MembershipFactory(tenant=TenantFactory(slug="flush"))
    certify(agent, requires_approval=False)
    assert CertificationEvent.objects.exists()
    with pytest.raises(DatabaseError), transaction.atomic():
        CertificationEvent.objects.all().delete()
    call_command("flush", interactive=False, verbosity=0)
    assert not CertificationEvent.objects.exists()
