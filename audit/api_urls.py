from django.urls import path

from audit import api

urlpatterns = [
    path("audit/actions/", api.AuditEntryListView.as_view(), name="audit-actions"),
]
