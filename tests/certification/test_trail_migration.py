"""Migration 0009 re-seals a chain written with the plain sha256 only after checking it, and going
back restores the plain chain."""

import importlib

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from certification.audit import verify_tenant
from certification.models import CertificationEvent
from certification.services import revoke_certification

from .factories import certify

LEGACY = importlib.import_module("certification.migrations.0009_event_sequence_and_keyed_chain")
BEFORE = [("certification", "0008_tenant_first_indexes_only")]
AFTER = [("certification", "0010_chain_checkpoints")]
TABLE = "certification_certificationevent"


def _migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)


@pytest.fixture
def back_to_latest():
    yield
    executor = MigrationExecutor(connection)
    _migrate(executor.loader.graph.leaf_nodes())  # later tests need the whole schema


def _plain_chain_intact(tenant_id) -> bool:
    prev = ""
    for row in LEGACY._rows(connection.cursor(), tenant_id):
        if row["prev_hash"] != prev or LEGACY._legacy_hash(row, prev) != row["hash"]:
            return False
        prev = row["hash"]
    return True


@pytest.fixture
def history(world):
    cert = certify(world.agent, approve_by=world.lead)
    revoke_certification(tenant=world.tenant, certification=cert, actor=world.lead, reason="x")
    certify(world.other_agent_b, requires_approval=False)
    return list(CertificationEvent.objects.order_by("pk").values_list("pk", "tenant_id", "seq"))


@pytest.mark.django_db(transaction=True)
def test_an_intact_plain_chain_is_resealed_with_the_key_and_back(world, history, back_to_latest):
    keyed = dict(CertificationEvent.objects.values_list("pk", "hash"))
    _migrate(BEFORE)
    assert _plain_chain_intact(world.tenant.pk) and _plain_chain_intact(world.other_tenant.pk)

    _migrate(AFTER)
    rows = CertificationEvent.objects.order_by("pk").values_list("pk", "tenant_id", "seq")
    assert list(rows) == history
    assert dict(CertificationEvent.objects.values_list("pk", "hash")) == keyed
    for tenant in (world.tenant, world.other_tenant):
        assert verify_tenant(tenant_id=tenant.pk, slug=tenant.slug).problems == []


@pytest.mark.django_db(transaction=True)
def test_a_broken_plain_chain_stops_the_migration_unless_accepted(
    world, history, back_to_latest, monkeypatch
):
    _migrate(BEFORE)
    altered = history[1][0]
    with connection.cursor() as cursor:
        cursor.execute(f"ALTER TABLE {TABLE} DISABLE TRIGGER USER")
        cursor.execute(f"UPDATE {TABLE} SET reason = 'rewritten' WHERE id = %s", [altered])
        cursor.execute(f"ALTER TABLE {TABLE} ENABLE TRIGGER USER")
    with pytest.raises(RuntimeError, match=f"certification event id={altered} of tenant id="):
        _migrate(AFTER)
    assert _plain_chain_intact(world.other_tenant.pk)  # nothing was changed

    monkeypatch.setenv("AUDIT_CHAIN_RESEAL_BROKEN", "true")
    _migrate(AFTER)
    assert CertificationEvent.objects.get(pk=altered).reason == "rewritten"
    assert verify_tenant(tenant_id=world.tenant.pk, slug=world.tenant.slug).problems == []
