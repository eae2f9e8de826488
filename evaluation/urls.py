from django.urls import path

from evaluation import views

app_name = "evaluation"
urlpatterns = [
    path("", views.scorecard_list, name="list"),
    path("mine/", views.mine, name="mine"),
    path("institutions/<id:institution_id>/", views.scorecard_detail, name="institution"),
    path("institutions/<id:institution_id>/decisions/", views.decide, name="decide"),
    path("ratings/", views.rate, name="rate"),
    path("export.xlsx", views.export, name="export"),
]
