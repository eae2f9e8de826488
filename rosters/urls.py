from django.urls import path

from rosters import views

app_name = "rosters"
urlpatterns = [
    path("template.xlsx", views.roster_template, name="template"),
    path("classes/<id:class_id>/import/", views.roster_import, name="import"),
    path(
        "classes/<id:class_id>/import/<uuid:upload_id>/confirm/",
        views.roster_import_confirm,
        name="import-confirm",
    ),
    path("classes/<id:class_id>/dashboard/", views.dashboard, name="dashboard"),
    path("classes/<id:class_id>/dashboard.xlsx", views.dashboard_export, name="dashboard-xlsx"),
]
