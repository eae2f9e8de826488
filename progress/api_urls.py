from django.urls import path

from progress import api

urlpatterns = [
    path("progress/events/", api.ProgressEventsView.as_view(), name="progress-events"),
    path("progress/attention/", api.AttentionCheckView.as_view(), name="progress-attention"),
    path("progress/grants/", api.GrantView.as_view(), name="progress-grants"),
    path("progress/lessons/<id:lesson_id>/", api.LessonProgressView.as_view(), name="lesson-progress"),
    path("progress/courses/<id:course_id>/", api.CourseProgressView.as_view(), name="course-progress"),
]
