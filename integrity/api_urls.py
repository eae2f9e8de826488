from django.urls import path

from integrity import api

urlpatterns = [
    path("review-cases/", api.ReviewCaseListView.as_view(), name="review-cases"),
    path("dishonesty-records/", api.DishonestyRecordListView.as_view(), name="dishonesty-records"),
]
