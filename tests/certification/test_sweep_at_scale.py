"""The expiry sweep after a long outage: more certifications due than PostgreSQL takes bind
parameters in one statement (65,535), which under server-side binding is where an ``IN`` list
of their ids would fail and leave expired certificates schedulable."""

import pytest
from django.utils import timezone

from bench import dataset
from certification.models import Certification, CertificationEvent
from certification.services import expire_due_certifications
from events.models import OutboxEvent

DUE = 66_000

Status = Certification.Status

pytestmark = pytest.mark.django_db


def test_a_sweep_expires_more_certifications_than_one_statement_takes_parameters():
    # 3,000 agents x 50 certifications, one shift each: about 80,000 active ones to make due.
    shape = dataset.Shape(agents=3_000, shifts_per_agent=1, due_fraction=DUE / 150_000)
    dataset.generate(shape, stream=open("/dev/null", "w"))  # noqa: SIM115
    tenant = dataset.tenant_id()
    now = timezone.now()
    due = Certification.objects.filter(tenant_id=tenant, status=Status.ACTIVE, valid_until__lte=now)
    assert due.count() == DUE

    assert expire_due_certifications(now=now) == DUE

    assert not due.exists()
    expired_now = CertificationEvent.objects.filter(
        tenant_id=tenant, new_status=Status.EXPIRED, at=now
    )
    assert expired_now.count() == DUE
    assert expired_now.values("certification").distinct().count() == DUE
    assert (
        OutboxEvent.objects.filter(tenant_id=tenant, event_type="certification.expired").count()
        == DUE
    )
