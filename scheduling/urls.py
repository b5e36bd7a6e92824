from django.urls import path

from . import views

app_name = "scheduling"

urlpatterns = [
    path("roster/", views.roster, name="roster"),
    path("roster/add/", views.add_shift, name="add"),
    path("roster/eligibility.csv", views.eligibility_csv, name="eligibility-csv"),
    path("assignments/<int:pk>/cancel/", views.cancel, name="cancel"),
]
