from django.urls import path

from demand import api

urlpatterns = [
    path("me/training-demands/", api.MyDemandsView.as_view(), name="my-training-demands"),
    path("training-demands/", api.DemandListView.as_view(), name="training-demands"),
]
