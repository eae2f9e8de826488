from django.urls import path

from institutions import api

urlpatterns = [
    path("me/assignments/", api.MyAssignmentsView.as_view(), name="my-assignments"),
    path("classes/", api.ClassListView.as_view(), name="class-list"),
    path("classes/<id:class_id>/", api.ClassDetailView.as_view(), name="class-detail"),
    path("classes/<id:class_id>/members/", api.ClassMembersView.as_view(), name="class-members"),
    path("classes/<id:class_id>/assignments/", api.ClassAssignmentsView.as_view(), name="class-assignments"),
    path("learners/<id:learner_id>/verify/", api.LearnerVerifyView.as_view(), name="learner-verify"),
    path("learners/<id:learner_id>/reveal/", api.RevealView.as_view(), name="learner-reveal"),
    path("audit/reveals/", api.RevealLogView.as_view(), name="audit-reveals"),
    path("audit/progress-events/", api.ProgressEventLogView.as_view(), name="audit-progress-events"),
]
