from django.urls import path

from . import api

app_name = "tenants-api"

urlpatterns = [path("whoami/", api.WhoAmIView.as_view(), name="whoami")]
