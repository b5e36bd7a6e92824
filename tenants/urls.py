from django.urls import path

from . import views

urlpatterns = [
    path("switch/", views.switch_tenant_view, name="switch_tenant"),
    path("preferences/", views.preferences_view, name="preferences"),
]
