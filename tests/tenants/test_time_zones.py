"""A person's own time zone: set on the preferences page, validated, active for their requests
only, and dropped again when the request ends."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import timezone

from core.errors import InvalidInput
from tenants.models import User
from tenants.services import set_time_zone

pytestmark = pytest.mark.django_db


def test_a_person_sets_and_clears_their_own_zone(world, client_for):
    client = client_for(world.agent)
    page = client.get(reverse("preferences"))
    assert page.status_code == 200
    assert "The tenant&#x27;s time zone (Asia/Shanghai)" in page.content.decode()
    response = client.post(reverse("preferences"), {"time_zone": "Europe/Berlin"})
    assert response.status_code == 302
    assert User.objects.get(pk=world.agent.user_id).time_zone == "Europe/Berlin"
    assert "(Europe/Berlin)" in client.get(reverse("dashboard")).content.decode()
    client.post(reverse("preferences"), {"time_zone": ""})
    assert User.objects.get(pk=world.agent.user_id).time_zone == ""
    assert "(Asia/Shanghai)" in client.get(reverse("dashboard")).content.decode()


@pytest.mark.parametrize("value", ["Mars/Olympus", "../etc/passwd", "UTC+8", "x" * 300])
def test_an_unknown_zone_is_refused_with_a_clear_message(world, client_for, value):
    response = client_for(world.agent).post(reverse("preferences"), {"time_zone": value})
    assert response.status_code == 400
    assert "Select a valid choice" in response.content.decode()
    assert User.objects.get(pk=world.agent.user_id).time_zone == ""
    with pytest.raises(InvalidInput):
        set_time_zone(user=world.agent.user, time_zone=value)


def test_the_preferences_page_is_in_chinese_too(world, client_for):
    page = client_for(world.agent).get(reverse("preferences"), HTTP_ACCEPT_LANGUAGE="zh-hans")
    body = page.content.decode()
    assert "时区" in body and "Time zone" not in body


def test_the_zone_is_active_for_the_request_only(world, client_for):
    set_time_zone(user=world.agent.user, time_zone="America/New_York")
    response = client_for(world.agent).get(reverse("dashboard"))
    assert response.status_code == 200
    assert "(America/New_York)" in response.content.decode()
    assert timezone.get_current_timezone_name() == "UTC"
