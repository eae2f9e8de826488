from django.urls import path

from integrity import views

app_name = "integrity"
urlpatterns = [
    path("cases/", views.case_list, name="cases"),
    path("cases/<id:case_id>/", views.case_detail, name="case"),
    path("records/", views.record_list, name="records"),
    path("records/new/", views.record_new, name="record-new"),
    path("records/<id:record_id>/lift/", views.record_lift, name="record-lift"),
]
