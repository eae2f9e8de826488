from django.urls import path

from portal import views

app_name = "portal"
urlpatterns = [
    path("home/", views.home, name="home"),
    path("overview/", views.overview, name="overview"),
    path("enterprise/employees/", views.employees, name="employees"),
    path("enterprise/employees/<id:learner_id>/", views.employee_detail, name="employee-detail"),
    path("audit/", views.audit, name="audit"),
]
