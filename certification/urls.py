from django.urls import path

from . import views

app_name = "certification"

urlpatterns = [
    path("", views.mine, name="mine"),
    path("notifications/read/", views.notifications_read, name="notifications_read"),
    path("readiness/<int:pk>/", views.readiness, name="readiness"),
    path("team/<int:pk>/readiness/", views.member_readiness, name="member_readiness"),
    path("approvals/", views.approvals, name="approvals"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/decide/", views.decide, name="decide"),
    path("<int:pk>/revoke/", views.revoke, name="revoke"),
    path("<int:pk>/reinstate/", views.reinstate, name="reinstate"),
    path("matrix/", views.matrix, name="matrix"),
    path("matrix.csv", views.matrix_csv, name="matrix_csv"),
    path("coverage/", views.coverage, name="coverage"),
    path("audit/", views.audit, name="audit"),
]
