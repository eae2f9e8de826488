from django.urls import path

from demand import views

app_name = "demand"
urlpatterns = [
    path("", views.mine, name="mine"),
    path("occupations/", views.occupation_search, name="occupations"),
    path("enterprise/", views.enterprise, name="enterprise"),
    path("enterprise/template.xlsx", views.enterprise_template, name="enterprise-template"),
    path("overview/", views.overview, name="overview"),
    path("overview/export.xlsx", views.export, name="export"),
]
