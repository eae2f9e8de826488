from django.urls import path

from institutions import account_views, views

app_name = "institutions"
urlpatterns = [
    path("classes/", views.class_list, name="class-list"),
    path("classes/new/", views.class_create, name="class-create"),
    path("classes/<id:class_id>/", views.class_detail, name="class-detail"),
    path("classes/<id:class_id>/edit/", views.class_edit, name="class-edit"),
    path("classes/<id:class_id>/members/add/", views.class_member_add, name="class-member-add"),
    path("my-assignments/", views.my_assignments, name="my-assignments"),
    path(
        "learners/<id:learner_id>/password-reset/",
        account_views.learner_password_reset,
        name="learner-password-reset",
    ),
]
