from django.urls import path

from evaluation import api

urlpatterns = [
    path("me/ratings/", api.MyRatingsView.as_view(), name="my-ratings"),
    path("evaluation/scorecards/", api.ScorecardListView.as_view(), name="evaluation-scorecards"),
]
