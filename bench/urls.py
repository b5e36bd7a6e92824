"""The project's URLs plus the baselines a benchmark compares against (benchmark runs only)."""

from django.urls import path

from skillgate.urls import handler500  # noqa: F401  (the project's 503 for a lost database)
from skillgate.urls import urlpatterns as project_urlpatterns

from . import views

urlpatterns = [
    path("bench/json/", views.minimal_json, name="bench-json"),
    path("bench/drf/", views.MinimalDRF.as_view(), name="bench-drf"),
    path("bench/floor/eligible/", views.floor_eligible, name="bench-floor-eligible"),
    *project_urlpatterns,
]
