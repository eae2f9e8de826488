from django.urls import path

from catalogs.api import CatalogEntryListView

urlpatterns = [
    path("catalogs/<str:kind>/", CatalogEntryListView.as_view(), name="catalog-entry-list"),
]
