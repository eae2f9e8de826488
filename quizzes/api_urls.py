"""Quiz endpoints, included by api.urls under /api/v1/ (namespace "api")."""

from django.urls import path

from quizzes import api

urlpatterns = [
    path("quizzes/lessons/<id:lesson_id>/", api.QuizLessonView.as_view(), name="quiz-lesson"),
    path(
        "quizzes/lessons/<id:lesson_id>/attempts/",
        api.AttemptStartView.as_view(),
        name="quiz-attempt-start",
    ),
    path(
        "quizzes/attempts/<id:attempt_id>/submit/",
        api.AttemptSubmitView.as_view(),
        name="quiz-attempt-submit",
    ),
]
