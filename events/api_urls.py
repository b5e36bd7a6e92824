from django.urls import path

from . import api

app_name = "events-api"

urlpatterns = [
    path("events/", api.EventFeed.as_view(), name="events"),
]
