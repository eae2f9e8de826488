from django.urls import path

from reports import views

app_name = "reports"
urlpatterns = [
    path("", views.training, name="training"),
    path("export.xlsx", views.export, name="export"),
    path("tasks/", views.tasks, name="tasks"),
    path("tasks/template-tasks.xlsx", views.tasks_template, {"table": "tasks"}, name="tasks-template"),
    path("tasks/template-base.xlsx", views.tasks_template, {"table": "base"}, name="base-template"),
]
