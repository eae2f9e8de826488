from django.urls import path

from reports import api

urlpatterns = [
    path("reports/training/", api.TrainingReportView.as_view(), name="reports-training"),
]
