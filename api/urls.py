from django.urls import include, path

from api import account_views, audit_views, progress_views, views

app_name = "api"

urlpatterns = [
    path("auth/token/", views.TokenLoginView.as_view(), name="token"),
    path("auth/register/", account_views.RegisterView.as_view(), name="register"),
    path("learners/<id:learner_id>/reveal/", account_views.RevealView.as_view(), name="learner-reveal"),
    path("audit/reveals/", audit_views.RevealLogView.as_view(), name="audit-reveals"),
    path("audit/progress-events/", audit_views.ProgressEventLogView.as_view(), name="audit-progress-events"),
    path("courses/", views.CourseListView.as_view(), name="course-list"),
    path("courses/<id:course_id>/", views.CourseDetailView.as_view(), name="course-detail"),
    path("courses/<id:course_id>/enroll/", views.EnrollView.as_view(), name="course-enroll"),
    path("me/", views.MeView.as_view(), name="me"),
]

urlpatterns += [
    path("progress/events/", progress_views.ProgressEventsView.as_view(), name="progress-events"),
    path("progress/attention/", progress_views.AttentionCheckView.as_view(), name="progress-attention"),
    path("progress/grants/", progress_views.GrantView.as_view(), name="progress-grants"),
    path(
        "progress/lessons/<id:lesson_id>/",
        progress_views.LessonProgressView.as_view(),
        name="lesson-progress",
    ),
    path(
        "progress/courses/<id:course_id>/",
        progress_views.CourseProgressView.as_view(),
        name="course-progress",
    ),
]

# Content-pool endpoints, each owned by its app.
urlpatterns += [
    path("", include("catalogs.api_urls")),
    path("", include("teachers.api_urls")),
    path("", include("scorm.api_urls")),
    path("", include("quizzes.api_urls")),
    path("", include("institutions.api_urls")),
    path("", include("rosters.api_urls")),
    path("", include("archive.api_urls")),
]
