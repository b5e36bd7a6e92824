from django.urls import path

from . import views

app_name = "training"

urlpatterns = [
    path("", views.mine, name="mine"),
    path("search/", views.search, name="search"),
    path("assign/", views.assign, name="assign"),
    path("team/", views.team, name="team"),
    path("curricula/<int:pk>/", views.curriculum, name="curriculum"),
    path("lessons/<int:pk>/", views.lesson, name="lesson"),
    path("quizzes/<int:pk>/", views.quiz, name="quiz"),
    path("attempts/<int:pk>/", views.attempt, name="attempt"),
    path("attempts/<int:pk>/save/", views.attempt_save, name="attempt-save"),
    path("attempts/<int:pk>/submit/", views.attempt_submit, name="attempt-submit"),
    path("attempts/<int:pk>/result/", views.result, name="result"),
]
