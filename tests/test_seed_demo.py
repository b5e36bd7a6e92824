import pytest
from django.conf import settings
from django.core.management import call_command
from django.db import models
from django.test import Client

from tenants.demo import DEMO_PASSWORD, PEOPLE

pytestmark = pytest.mark.django_db


def snapshot():
    from django.apps import apps

    counts = {}
    for model in apps.get_models():
        if model._meta.app_label in settings.PROJECT_APPS:
            counts[model._meta.label] = model.objects.count()
            if any(
                isinstance(f, models.DateTimeField) and f.name == "updated_at"
                for f in model._meta.fields
            ):
                counts[model._meta.label + ".updated"] = list(
                    model.objects.order_by("pk").values_list("updated_at", flat=True)
                )
    return counts


def test_seed_demo_twice_changes_nothing(capsys):
    call_command("seed_demo")
    first = snapshot()
    out = capsys.readouterr().out
    assert "agent01" in out and DEMO_PASSWORD in out
    call_command("seed_demo")
    assert snapshot() == first


def test_demo_logins_work():
    call_command("seed_demo")
    for username, *_ in PEOPLE:
        client = Client()
        response = client.post(
            "/accounts/login/", {"username": username, "password": DEMO_PASSWORD}
        )
        assert response.status_code == 302, username
        assert client.get("/").status_code == 200, username


def test_demo_agent05_has_passed_only_the_common_content():
    from training.models import Attempt

    call_command("seed_demo")
    passed = Attempt.objects.filter(membership__user__username="agent05", passed=True)
    assert passed.filter(quiz__curriculum__industry__isnull=True).exists()
    assert not passed.filter(quiz__curriculum__industry__isnull=False).exists()
