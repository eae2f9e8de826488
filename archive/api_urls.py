from django.urls import path

from archive import api

urlpatterns = [
    path("me/archive/", api.MyArchiveView.as_view(), name="my-archive"),
    path("archive/head/", api.ArchiveHeadView.as_view(), name="archive-head"),
]
