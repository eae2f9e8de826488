from django.urls import path

from orders import views

app_name = "orders"
urlpatterns = [
    path("", views.institution_orders, name="institution"),
    path("offers/", views.offer_list, name="offers"),
    path("offers/new/", views.offer_create, name="offer-create"),
    path("offers/<id:offer_id>/", views.offer_detail, name="offer"),
    path("offers/<id:offer_id>/edit/", views.offer_edit, name="offer-edit"),
    path("offers/<id:offer_id>/publish/", views.offer_publish, name="offer-publish"),
    path("offers/<id:offer_id>/close/", views.offer_close, name="offer-close"),
    path("offers/<id:offer_id>/apply/", views.application_create, name="apply"),
    path("applications/", views.application_list, name="applications"),
    path("applications/<id:application_id>/", views.application_detail, name="application"),
    path("applications/<id:application_id>/decide/", views.application_decide, name="application-decide"),
    path("classes/", views.open_classes, name="open-classes"),
    path("classes/<id:class_id>/enroll/", views.class_enrol, name="class-enroll"),
]
