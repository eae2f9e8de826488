from django.urls import path

from archive import views

urlpatterns = [
    path("me/archive/", views.my_archive, name="my-archive"),
    path("certificates/external/", views.external_certificates, name="external-certificates"),
    path(
        "certificates/external/<int:pk>/scan/",
        views.external_certificate_scan,
        name="external-certificate-scan",
    ),
    path("certificates/<str:number>/", views.certificate_verify, name="certificate-verify"),
    path("certificates/<str:number>/revoke/", views.certificate_revoke, name="certificate-revoke"),
]
