from django.urls import path

from archive import api

urlpatterns = [
    path("me/archive/", api.MyArchiveView.as_view(), name="my-archive"),
    path("archive/head/", api.ArchiveHeadView.as_view(), name="archive-head"),
    path("certificates/<str:number>/", api.PublicCertificateView.as_view(), name="certificate-public"),
    path("certificates/<str:number>/pdf/", api.CertificatePdfView.as_view(), name="certificate-pdf"),
    path("certificates/<str:number>/revoke/", api.CertificateRevokeView.as_view(), name="certificate-revoke"),
]
