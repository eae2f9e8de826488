from django.urls import path

from archive import api

urlpatterns = [path("me/archive/", api.MyArchiveView.as_view(), name="my-archive")]
