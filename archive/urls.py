from django.urls import path

from archive import views

urlpatterns = [
    path("me/archive/", views.my_archive, name="my-archive"),
    path("certificates/<str:number>/", views.certificate_verify, name="certificate-verify"),
]
